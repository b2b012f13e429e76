"""Supervision slips (督办单), the pages: the list with its filters and tabs at a fixed number of
statements, a slip with the one form its reader may use now, issuing, signing, answering with
evidence, reviewing; bad input kept beside its field, second clicks and stale pages answered
with a message, never a 500."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.tasks import slip_issue
from portal.tasks.models import (
    IndicatorReport,
    KeyTask,
    SlipColour,
    SlipState,
    SupervisionSlip,
    TaskFile,
)
from tests.helpers import english_client, make_pdf, statements_for
from tests.wall_world import build_wall_world

SUPERVISOR = "supervisor@example.com"
OWNER = "hightech@example.com"
OTHER = "funds@example.com"


@pytest.fixture
def world(app, demo):
    with app.app_context():
        return build_wall_world()


def raise_slip(app, world, *, colour=SlipColour.RED, days: int = 5, task_id=None) -> int:
    with app.app_context():
        task = db.session.get(KeyTask, task_id or world.red_task_id)
        slip = slip_issue.issue_slip(
            task,
            colour,
            "“完成申报受理”已逾期。",
            bureau_today() + timedelta(days=days),
            requirements="三日内报送进展。",
        )
        db.session.commit()
        return slip.id


def state_of(app, slip_id: int) -> SlipState:
    with app.app_context():
        return db.session.get(SupervisionSlip, slip_id).state


def version_on(html: str) -> str:
    match = re.search(r'name="lock_version" type="hidden" value="(\d+)"', html) or re.search(
        r'id="lock_version" name="lock_version" type="hidden" value="(\d+)"', html
    )
    assert match, "no lock_version on the page"
    return match.group(1)


def answer(client, slip_id: int, text: str = "已完成申报受理 18 家。", files=True, version=None):
    data = {"progress": text}
    if version is not None:
        data["lock_version"] = version
    if files:
        data["files"] = (io.BytesIO(make_pdf()), "进展材料.pdf")
    return client.post(
        f"/tasks/slips/{slip_id}/answer", data=data, content_type="multipart/form-data"
    )


def test_each_reader_sees_only_the_form_they_may_use(app, world):
    slip_id = raise_slip(app, world)
    owner = english_client(app, OWNER)
    supervisor = english_client(app, SUPERVISOR)
    other = english_client(app, OTHER)
    url = f"/tasks/slips/{slip_id}"

    page = owner.get(url).get_data(as_text=True)
    assert "Sign for the slip" in page and "Send the answer" not in page
    assert "督办〔" in page and "Red slip: overdue" in page
    for client in (supervisor, other):
        page = client.get(url).get_data(as_text=True)
        assert "Sign for the slip" not in page and "Save the review" not in page
    assert other.post(f"{url}/sign").status_code == 403
    assert state_of(app, slip_id) is SlipState.ISSUED

    assert owner.post(f"{url}/sign", data={"lock_version": "1"}).status_code == 302
    page = owner.get(url).get_data(as_text=True)
    assert "Send the answer" in page and "Signed for" in page
    assert "Save the review" not in supervisor.get(url).get_data(as_text=True)

    assert answer(owner, slip_id).status_code == 302
    page = supervisor.get(url).get_data(as_text=True)
    assert "Save the review" in page and "进展材料.pdf" in page
    assert "Send the answer" not in owner.get(url).get_data(as_text=True)
    assert owner.post(f"{url}/review", data={"decision": "close"}).status_code == 403


def test_a_second_click_and_a_stale_page_get_a_message(app, world):
    slip_id = raise_slip(app, world)
    owner = english_client(app, OWNER)
    url = f"/tasks/slips/{slip_id}"
    version = version_on(owner.get(url).get_data(as_text=True))
    assert owner.post(f"{url}/sign", data={"lock_version": version}).status_code == 302
    again = owner.post(f"{url}/sign", data={"lock_version": version})
    assert again.status_code == 409
    assert "already taken" in again.get_data(as_text=True)
    # The answer form of a page drawn before the signing (version 1) is out of date.
    stale = answer(owner, slip_id, version=version)
    assert stale.status_code == 409
    assert "changed after you opened the page" in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TaskFile)) == 0
    assert state_of(app, slip_id) is SlipState.SIGNED


def test_an_answer_without_evidence_keeps_the_text_and_asks_for_the_files_again(app, world):
    slip_id = raise_slip(app, world)
    owner = english_client(app, OWNER)
    owner.post(f"/tasks/slips/{slip_id}/sign")
    response = answer(owner, slip_id, text="已受理 18 家，清单见附件。", files=False)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "已受理 18 家，清单见附件。" in page
    assert "Attach the evidence (at least one file)." in page
    assert "choose the evidence files again" in page
    response = answer(owner, slip_id, text="   ")
    assert response.status_code == 422
    assert "Describe the progress made" in response.get_data(as_text=True)
    bad = owner.post(
        f"/tasks/slips/{slip_id}/answer",
        data={"progress": "x", "files": (io.BytesIO(b"not a pdf"), "fake.pdf")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "fake.pdf" in bad.get_data(as_text=True)
    assert state_of(app, slip_id) is SlipState.SIGNED


def test_the_evidence_downloads_privately_and_only_slip_files_are_served(app, world):
    slip_id = raise_slip(app, world)
    owner = english_client(app, OWNER)
    owner.post(f"/tasks/slips/{slip_id}/sign")
    assert answer(owner, slip_id).status_code == 302
    with app.app_context():
        file_id = db.session.scalar(select(TaskFile.id))
    officer = english_client(app, "officer@example.com")
    response = officer.get(f"/tasks/slips/files/{file_id}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.data.startswith(b"%PDF")
    assert officer.get("/tasks/slips/files/999999").status_code == 404
    assert officer.get("/tasks/slips/999999").status_code == 404
    assert officer.get("/tasks/slips/99999999999999999999").status_code == 404
    # A file of a hand-reported indicator value is not a slip's evidence.
    with app.app_context():
        report = IndicatorReport(
            indicator_id=world.red_manual_indicator_id,
            value=3,
            reported_on=bureau_today(),
            reported_by_id=world.hightech_id,
        )
        db.session.add(report)
        db.session.flush()
        other = TaskFile(
            report_id=report.id,
            original_name="r.pdf",
            storage_key="x",
            mime_type="application/pdf",
            size=1,
            sha256="0" * 64,
        )
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    assert officer.get(f"/tasks/slips/files/{other_id}").status_code == 404


def test_the_supervisor_sends_back_with_a_note_then_closes(app, world):
    slip_id = raise_slip(app, world)
    owner = english_client(app, OWNER)
    supervisor = english_client(app, SUPERVISOR)
    url = f"/tasks/slips/{slip_id}"
    owner.post(f"{url}/sign")
    answer(owner, slip_id)
    response = supervisor.post(f"{url}/review", data={"decision": "send_back", "note": " "})
    assert response.status_code == 422
    assert "Say what is missing" in response.get_data(as_text=True)
    assert supervisor.post(f"{url}/review", data={"decision": "bogus"}).status_code == 422
    response = supervisor.post(
        f"{url}/review", data={"decision": "send_back", "note": "请补充受理清单。"}
    )
    assert response.status_code == 302
    page = owner.get(url).get_data(as_text=True)
    assert "请补充受理清单。" in page and "Send the answer" in page
    assert answer(owner, slip_id, text="已补充。").status_code == 302
    assert supervisor.post(f"{url}/review", data={"decision": "close"}).status_code == 302
    assert state_of(app, slip_id) is SlipState.CLOSED
    page = owner.get(url).get_data(as_text=True)
    for step in ("Slip issued", "Signed for", "Answered", "Sent back", "Slip closed"):
        assert step in page
    again = supervisor.post(f"{url}/review", data={"decision": "close"})
    assert again.status_code == 409


def test_a_supervisor_issues_a_slip_and_bad_input_is_kept(app, world):
    supervisor = english_client(app, SUPERVISOR)
    page = supervisor.get(f"/tasks/slips/new?task_id={world.red_task_id}").get_data(as_text=True)
    assert f'<option selected value="{world.red_task_id}"' in page or (
        f'value="{world.red_task_id}" selected' in page
    )
    bad = supervisor.post(
        "/tasks/slips/new",
        data={
            "task_id": str(world.red_task_id),
            "colour": "yellow",
            "reason": "进度滞后于序时进度。",
            "requirements": "",
            "deadline": bureau_today().isoformat(),
        },
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "The deadline must be after today." in html and "进度滞后于序时进度。" in html
    missing = supervisor.post("/tasks/slips/new", data={"task_id": "", "colour": "nope"})
    assert missing.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SupervisionSlip)) == 0
    good = supervisor.post(
        "/tasks/slips/new",
        data={
            "task_id": str(world.red_task_id),
            "colour": "yellow",
            "reason": "进度滞后于序时进度。",
            "requirements": "月底前补齐。",
            "deadline": (bureau_today() + timedelta(days=10)).isoformat(),
        },
    )
    assert good.status_code == 302
    with app.app_context():
        slip = db.session.scalar(select(SupervisionSlip))
        assert slip.issued_by_id == world.supervisor_id and slip.colour is SlipColour.YELLOW
        assert good.headers["Location"].endswith(f"/tasks/slips/{slip.id}")
    assert english_client(app, OWNER).get("/tasks/slips/new").status_code == 403


def test_the_list_filters_and_marks_overdue_slips_in_words(app, world):
    red = raise_slip(app, world)
    overdue = raise_slip(app, world, colour=SlipColour.BLUE, days=-3)
    with app.app_context():
        closed = db.session.get(SupervisionSlip, raise_slip(app, world, colour=SlipColour.YELLOW))
        closed.state = SlipState.CLOSED
        db.session.commit()
        closed_id = closed.id
    supervisor = english_client(app, SUPERVISOR)
    page = supervisor.get("/tasks/slips/").get_data(as_text=True)
    assert 'Open slips <span class="slip-count">(2)</span>' in page
    assert 'Closed slips <span class="slip-count">(1)</span>' in page
    assert 'class="slip-overdue"' in page and "· overdue" in page
    assert '<span class="slip-colour__swatch" aria-hidden="true"></span>Blue</span>' in page
    assert f"/tasks/slips/{red}" in page and f"/tasks/slips/{overdue}" in page
    assert f'/tasks/slips/{closed_id}"' not in page
    page = supervisor.get("/tasks/slips/?state=closed").get_data(as_text=True)
    assert f'/tasks/slips/{closed_id}"' in page and f'/tasks/slips/{red}"' not in page
    page = supervisor.get("/tasks/slips/?colour=blue&state=all").get_data(as_text=True)
    assert f'/tasks/slips/{overdue}"' in page and f'/tasks/slips/{red}"' not in page
    page = supervisor.get("/tasks/slips/?order=deadline").get_data(as_text=True)
    assert page.index(f'/tasks/slips/{overdue}"') < page.index(f'/tasks/slips/{red}"')
    for junk in ("?colour=purple", "?state=x&order=y&page=abc", "?department=NaN&mine=7"):
        assert supervisor.get(f"/tasks/slips/{junk}").status_code == 200
    # A member of another department sees no slip of theirs, unless they ask for every one.
    other = english_client(app, OTHER)
    page = other.get("/tasks/slips/").get_data(as_text=True)
    assert f'/tasks/slips/{red}"' not in page and "No slip matches" in page
    page = other.get("/tasks/slips/?mine=0").get_data(as_text=True)
    assert f'/tasks/slips/{red}"' in page
    department = world.departments["资源配置与管理科"]
    page = supervisor.get(f"/tasks/slips/?department={department}").get_data(as_text=True)
    assert "No slip matches" in page


def test_the_list_costs_the_same_statements_for_2_and_40_slips(app, world):
    supervisor = english_client(app, SUPERVISOR)
    owner = english_client(app, OWNER)
    counts = []
    for total in (2, 40):
        with app.app_context():
            have = db.session.scalar(select(func.count()).select_from(SupervisionSlip))
        for n in range(total - have):
            raise_slip(app, world, colour=list(SlipColour)[n % 3], days=(n % 7) - 3)
        counts.append(
            (
                statements_for(app, supervisor, "/tasks/slips/?state=all"),
                statements_for(app, supervisor, "/tasks/slips/?order=deadline&page=2"),
                statements_for(app, owner, "/tasks/slips/"),
            )
        )
    assert counts[0] == counts[1], counts
