"""core/concurrency.py: the one ``ConcurrentChange``, row locks, the stale-page check, the
translation of SQLAlchemy's ``StaleDataError``, and savepoints that make a refused service call
undo its own work while the request's earlier work stays."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import select, text, update

from portal.accounts.models import Enterprise
from portal.accounts.uscc import with_check_character
from portal.applications.models import Application
from portal.core import jobs
from portal.core.concurrency import (
    CHANGED_MEANWHILE,
    ConcurrentChange,
    check_not_stale,
    flush_or_refuse,
    lock,
    lock_row,
    refusable,
    refuse_stale_writes,
    service,
)
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import file_store, save_in_transaction
from portal.core.jobs import enqueue_after_commit
from portal.programs.models import Program
from portal.programs.services import EditedMeanwhile
from tests.integration.test_decisions import KEY, make_application, make_firm

WHEN = datetime(2026, 3, 6, 9, 30, tzinfo=UTC)


def new_firm(index: int) -> Enterprise:
    firm = Enterprise(
        name=f"阜新并发测试企业{index:02d}有限公司",
        uscc=with_check_character(f"91210900MC{index:07d}"),
        contact_person="测试",
        mobile="13900000000",
    )
    db.session.add(firm)
    return firm


def firm_names(app) -> set[str]:
    with app.app_context():
        return set(
            db.session.scalars(select(Enterprise.name).where(Enterprise.name.like("%并发%")))
        )


def bump_version(application_id: int) -> None:
    """Another request's commit, as this one sees it: the row's version moves on."""
    db.session.connection().execute(
        update(Application.__table__)
        .where(Application.__table__.c.id == application_id)
        .values(lock_version=Application.__table__.c.lock_version + 1)
    )


# --- the refusal ------------------------------------------------------------------------------


def test_concurrent_change_carries_who_when_and_the_version_now(app):
    error = ConcurrentChange(by="王科长", at=WHEN, current_version=7)
    assert isinstance(error, DomainError)
    assert (error.by, error.at, error.current_version) == ("王科长", WHEN, 7)
    assert error.message is CHANGED_MEANWHILE and error.field is None
    with app.test_request_context(), force_locale("en"):
        assert "nothing you sent was saved" in str(error.message)
    plain = ConcurrentChange("Reload it.", field="amount")
    assert (plain.by, plain.at, plain.current_version) == (None, None, None)
    assert plain.message == "Reload it." and plain.field == "amount"
    # the programme editor's refusal is the same one
    assert EditedMeanwhile is ConcurrentChange


# --- the stale-page check ---------------------------------------------------------------------


def test_the_stale_page_check_refuses_an_old_version_and_passes_the_current_one(app, demo):
    asked = []

    def changed_by(obj):
        asked.append(obj)
        return "王科长", WHEN

    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == KEY))
        current = program.lock_version
        check_not_stale(program, current, changed_by=changed_by)
        check_not_stale(program, None, changed_by=changed_by)  # a script: not checked
        assert asked == []  # who changed it is only looked up for a stale page
        with pytest.raises(ConcurrentChange) as refused:
            check_not_stale(program, current - 1, message="Reload it.", changed_by=changed_by)
        assert refused.value.message == "Reload it."
        assert (refused.value.by, refused.value.at) == ("王科长", WHEN)
        assert refused.value.current_version == current and asked == [program]
        with pytest.raises(ConcurrentChange) as refused:
            check_not_stale(program, None, required=True)  # a form that always says
        assert refused.value.by is None and refused.value.current_version == current


# --- row locks --------------------------------------------------------------------------------


def test_a_locked_row_is_read_again(app, demo):
    with app.test_request_context(method="POST"):
        program = db.session.scalar(select(Program).where(Program.code == KEY))
        db.session.execute(
            text("UPDATE programs SET publicity_days = 9 WHERE id = :id"), {"id": program.id}
        )
        assert program.publicity_days != 9  # the session still holds what it read
        assert lock_row(Program, program.id) is program and program.publicity_days == 9
        db.session.execute(
            text("UPDATE programs SET publicity_days = 8 WHERE id = :id"), {"id": program.id}
        )
        assert lock(program) is program and program.publicity_days == 8
        with pytest.raises(LookupError):
            lock_row(Program, 999_999)
        db.session.rollback()


# --- stale writes -----------------------------------------------------------------------------


def test_a_stale_write_becomes_concurrent_change(app, demo):
    application_id = make_application(app, KEY, make_firm(app, 1))
    with app.test_request_context(method="POST"):
        application = db.session.get(Application, application_id)
        bump_version(application_id)
        with pytest.raises(ConcurrentChange) as refused, refusable():
            application.project_title = "另一个标题"
            flush_or_refuse("The application changed meanwhile.")
        assert refused.value.message == "The application changed meanwhile."
        # found when the savepoint closes (its last flush): the general message
        assert application.project_title == "测试项目"  # read again, as it is now
        with pytest.raises(ConcurrentChange) as refused, refusable():
            application.project_title = "另一个标题"
            bump_version(application_id)
        assert refused.value.message is CHANGED_MEANWHILE
        # found when the savepoint opens (it writes what was pending first): the same
        assert application.project_title == "测试项目"
        application.project_title = "另一个标题"
        bump_version(application_id)
        with pytest.raises(ConcurrentChange) as refused, refusable():
            pass
        assert refused.value.message is CHANGED_MEANWHILE
        db.session.rollback()


def test_refuse_stale_writes_translates_only_stale_data(app):
    from sqlalchemy.orm.exc import StaleDataError

    with pytest.raises(ConcurrentChange) as refused, refuse_stale_writes("Reload it."):
        raise StaleDataError("UPDATE statement on table 'x' expected to update 1 row(s)")
    assert refused.value.message == "Reload it."
    with pytest.raises(ValueError), refuse_stale_writes():
        raise ValueError("not a conflict")


# --- refused service calls undo their own work ------------------------------------------------


@service
def add_firm_then_refuse(index: int) -> None:
    new_firm(index)
    db.session.flush()  # written inside the savepoint, then refused
    raise DomainError("Refused after writing.")


@service
def add_firm(index: int) -> Enterprise:
    firm = new_firm(index)
    db.session.flush()
    return firm


def test_a_refused_service_leaves_no_row_while_earlier_work_survives(app, demo):
    with app.test_request_context(method="POST"):
        earlier = new_firm(1)  # the request's own work, before the service
        db.session.flush()
        kept = add_firm(2)  # a service that succeeded
        with pytest.raises(DomainError, match="Refused after writing"):
            add_firm_then_refuse(3)
        # the session goes on: what it held is still there, the refused row is not
        assert earlier.id is not None and kept.id is not None
        assert db.session.scalar(select(Enterprise.id).where(Enterprise.id == kept.id))
        db.session.commit()
    assert firm_names(app) == {"阜新并发测试企业01有限公司", "阜新并发测试企业02有限公司"}


def test_a_stale_write_in_a_service_is_refused_and_the_request_goes_on(app, demo):
    application_id = make_application(app, KEY, make_firm(app, 1))

    @service
    def retitle(application: Application) -> None:
        application.project_title = "另一个标题"
        flush_or_refuse("The application changed meanwhile.")

    with app.test_request_context(method="POST"):
        earlier = new_firm(4)
        db.session.flush()
        application = db.session.get(Application, application_id)
        bump_version(application_id)
        with pytest.raises(ConcurrentChange, match="changed meanwhile"):
            retitle(application)
        # the refused change is gone from the object too: it reads the row as it is
        assert application.project_title == "测试项目"
        assert earlier.name == "阜新并发测试企业04有限公司"
        db.session.commit()
    assert firm_names(app) == {"阜新并发测试企业04有限公司"}
    with app.app_context():
        assert db.session.get(Application, application_id).project_title == "测试项目"


def test_a_refused_service_forgets_the_jobs_it_queued_and_deletes_the_files_it_wrote(app, demo):
    written: list[str] = []

    @service
    def queue_and_write_then_refuse() -> None:
        enqueue_after_commit("export_letters", 999)
        written.append(save_in_transaction(b"written by a refused service"))
        raise DomainError("Refused after queuing and writing")

    with app.test_request_context(method="POST"):
        enqueue_after_commit("export_letters", 1)  # the request's own job, before the service
        kept = save_in_transaction(b"written before the service")
        with pytest.raises(DomainError, match="Refused after queuing"):
            queue_and_write_then_refuse()
        assert db.session.info[jobs._PENDING] == [("export_letters", (1,))]
        assert not file_store().exists(written[0])  # deleted with the savepoint
        assert file_store().exists(kept)
        db.session.rollback()  # end without dispatching: the request's file goes too
        assert not file_store().exists(kept)
