"""Check-your-answers reads a question left open as "Not answered", never as "No"."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import Babel

from portal.web.shared.application_presenters import answer_text, project_answers

_APP = Flask(__name__)
Babel(_APP)


def read(value, kind):
    with _APP.test_request_context():
        return answer_text(value, kind)


@pytest.mark.parametrize("value", [None, "", "maybe"])
def test_an_unanswered_yes_no_question_is_not_answered(value):
    assert read(value, "bool") == "Not answered"


@pytest.mark.parametrize(
    ("value", "text"), [(False, "No"), ("no", "No"), (True, "Yes"), ("yes", "Yes")]
)
def test_answered_yes_no_questions_read_as_answered(value, text):
    assert read(value, "bool") == text


def test_other_answers():
    assert read(None, "money") == "Not answered"
    assert read("1500000", "money") == "1,500,000.00"
    assert read(3, "text") == "3"
    assert read(0, "text") == "0"


def test_project_answers_cover_every_question_even_when_missing():
    with _APP.test_request_context():
        answers = project_answers({"project_accepted": False})
    assert [(a["key"], a["text"]) for a in answers] == [
        ("eligible_investment", "Not answered"),
        ("digital_level", "Not answered"),
        ("project_accepted", "No"),
        ("other_public_funding", "Not answered"),
    ]
