"""One reviewer's score sheet as values: the rubric's criteria, the scores saved on an
assignment, and how a score is written and checked.

No queries and no writes here: the commands (``scoring``), the reviewer's queue
(``reviewer_queue``) and the pages of reviewers and officers all read scores the same way.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.applications.models import Application
from portal.review import scoring_math
from portal.review.models import Assignment

# {criterion key: (score or None, comment)}
Scores = dict[str, tuple[Decimal | None, str]]

COMMENT_MAX = 2000


def score_field(key: str) -> str:
    return f"score__{key}"


def comment_field(key: str) -> str:
    return f"comment__{key}"


def format_score(value: Decimal | None) -> str:
    """7 -> "7", 7.50 -> "7.5": the shortest plain form (never an exponent)."""
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def is_valid_score(value: Decimal, scale_max: Decimal) -> bool:
    """A score is a whole or half point from 0 to the criterion's maximum."""
    return value.is_finite() and 0 <= value <= scale_max and (value * 2) % 1 == 0


def score_range_message(scale_max: Decimal) -> Any:
    return _l(
        "Enter a score from 0 to %(max)s, in whole or half points (for example 7 or 7.5).",
        max=format_score(scale_max),
    )


def criteria_of(application: Application) -> list[scoring_math.Criterion]:
    return scoring_math.criteria_from_rubric(application.program_version.rubric or [])


def rubric_view(application: Application, locale: str) -> list[dict[str, Any]]:
    """The rubric's criteria as plain values, in rubric order, named in ``locale``."""
    names = {
        item["key"]: (item.get("name_en") if locale == "en" else item.get("name_zh")) or item["key"]
        for item in application.program_version.rubric or []
    }
    return [
        {
            "key": c.key,
            "name": names.get(c.key, c.key),
            "weight": format_score(c.weight),
            "scale_max": c.scale_max,
            "scale_max_text": format_score(c.scale_max),
            "minimum": format_score(c.minimum) if c.minimum is not None else "",
            "score_field": score_field(c.key),
            "comment_field": comment_field(c.key),
        }
        for c in criteria_of(application)
    ]


def running_total(criteria: list[scoring_math.Criterion], scores: Scores) -> dict[str, Any]:
    """The weighted total of what is typed so far, a missing or unusable score counting as 0:
    the figure the scoring page shows while scores are entered (``static/js/scoring.js``
    computes the same), equal to ``weighted_total`` once every criterion has its score."""
    usable = {
        key: score
        for key, (score, _comment) in scores.items()
        if score is not None and is_valid_score(score, _scale_of(criteria, key))
    }
    complete = bool(criteria) and all(c.key in usable for c in criteria)
    filled = {c.key: usable.get(c.key, Decimal(0)) for c in criteria}
    try:
        total: Decimal | None = scoring_math.weighted_total(criteria, filled)
    except ValueError:  # no criteria, or weights totalling zero: nothing to add up
        total = None
    return {
        "total": total,
        "scored": sum(1 for c in criteria if c.key in usable),
        "of": len(criteria),
        "complete": complete,
    }


def _scale_of(criteria: list[scoring_math.Criterion], key: str) -> Decimal:
    for criterion in criteria:
        if criterion.key == key:
            return criterion.scale_max
    return Decimal(-1)  # not a criterion: never a usable score


def stored_scores(assignment: Assignment) -> Scores:
    """The assignment's saved scores as ``Scores`` (what a draft or a submission holds)."""
    result: Scores = {}
    for key, entry in (assignment.scores or {}).items():
        raw = entry.get("score")
        result[key] = (None if raw in (None, "") else Decimal(str(raw)), entry.get("comment", ""))
    return result


def has_scores(scores: dict[str, Any] | None) -> bool:
    """Whether a saved sheet holds anything typed (a score or a comment): a draft."""
    return any(
        entry.get("score") not in (None, "") or (entry.get("comment") or "").strip()
        for entry in (scores or {}).values()
    )


def score_problems(
    criteria: list[scoring_math.Criterion], scores: Scores, *, complete: bool
) -> dict[str, Any]:
    """Messages by form field: scores out of range always; missing scores and comments only
    when the review must be ``complete`` (a submission)."""
    errors: dict[str, Any] = {}
    for criterion in criteria:
        score, comment = scores.get(criterion.key, (None, ""))
        comment = comment or ""
        if score is not None and not is_valid_score(score, criterion.scale_max):
            errors[score_field(criterion.key)] = score_range_message(criterion.scale_max)
        elif score is None and complete:
            errors[score_field(criterion.key)] = _l("Enter a score.")
        if len(comment) > COMMENT_MAX:
            errors[comment_field(criterion.key)] = _l(
                "Keep the comment to %(max)d characters or fewer.", max=COMMENT_MAX
            )
        elif complete and not comment.strip():
            errors[comment_field(criterion.key)] = _l("Write a comment that explains the score.")
    return errors


def to_json(criteria: list[scoring_math.Criterion], scores: Scores) -> dict[str, Any]:
    """The sheet as stored on the assignment: every criterion, scores in their short form."""
    stored = {}
    for criterion in criteria:
        score, comment = scores.get(criterion.key, (None, ""))
        stored[criterion.key] = {
            "score": None if score is None else format_score(score),
            "comment": (comment or "").strip(),
        }
    return stored
