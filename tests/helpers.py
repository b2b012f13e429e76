"""Helpers for tests: sign in through the real form, read CSRF tokens from pages."""

from __future__ import annotations

import re

DEMO_PASSWORD = "Demo-Portal-2026"
# The demo key above-size programme's rubric: its criteria's keys in the form's order (weights
# 25/20/20/15/10/10 on a 0-10 scale, a weighted total out of 100).
KEY_RUBRIC = (
    "innovation",
    "technology_ip",
    "market_benefit",
    "rd_team",
    "financial_health",
    "fluorine_chain",
)

CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_PATTERN.search(html) or re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client, email: str, password: str = DEMO_PASSWORD):
    """Sign in through the real form (CSRF token included when CSRF is on)."""
    page = client.get("/login")
    data = {"email": email, "password": password}
    token = CSRF_PATTERN.search(page.get_data(as_text=True))
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/login", data=data)
    return response


def confirmation_link(app, email: str) -> str:
    """The path of the link that finishes a registration, as the mail to ``email`` carries it
    (made here rather than read from the mail, for tests about something else)."""
    from sqlalchemy import select

    from portal.accounts.confirmation import make_token
    from portal.accounts.models import User
    from portal.core.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        assert user is not None, email
        return f"/register/confirm/{make_token(user)}"


def close_connections(app) -> None:
    """End the app's session and close its database connections (when a test's app is done)."""
    from portal.core.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def statements_during(app, send) -> list[str]:
    """The SQL statements run while ``send()`` makes a request (asserting that it answers 200)."""
    from sqlalchemy import event

    from portal.core.extensions import db

    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = send()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return statements


def sql_statements(app, client, url: str) -> list[str]:
    """The SQL statements a GET of ``url`` runs."""
    return statements_during(app, lambda: client.get(url))


def statements_for(app, client, url: str) -> int:
    """How many SQL statements a GET of ``url`` runs."""
    return len(sql_statements(app, client, url))


def use_english(client):
    """Switch a test client to English so that assertions can quote the English messages.

    Goes through the language switch, so a signed-in account's preference changes too
    (integration tests run without CSRF).
    """
    response = client.post("/language", data={"locale": "en", "next": "/"})
    assert response.status_code == 302
    return client


def english_client(app, email: str):
    """A new test client signed in as ``email``, switched to English."""
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return use_english(client)


def make_pdf(pages: int = 1, text: str = "") -> bytes:
    """A real, parseable PDF made with pypdf (blank pages)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if text:
        writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def required_document_keys(app, code: str) -> list[str]:
    """The documents a programme's current version requires (read from the database)."""
    from sqlalchemy import select

    from portal.core.extensions import db
    from portal.programs.models import Program, ProgramVersion

    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == code))
        version = db.session.scalar(
            select(ProgramVersion).where(
                ProgramVersion.program_id == program.id,
                ProgramVersion.number == program.current_version_number,
            )
        )
        return [doc["key"] for doc in version.documents if doc.get("required")]


def prepare_draft(app, firm, code: str) -> int:
    """Fill in every section of a new application through the signed-in ``firm`` client's
    pages (a real PDF for each required document); leave it a draft, ready to submit.
    Return its id. The programme must not need project figures (all demo programmes but the
    fluorine-park one)."""
    import io

    response = firm.post(f"/programmes/{code}/apply")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    application_id = int(response.headers["Location"].rsplit("/", 1)[1])
    base = f"/applications/{application_id}"
    summary = {"project_title": "含氟新材料中试线", "project_summary": "建设含氟新材料中试线。"}
    assert firm.post(f"{base}/summary", data=summary).status_code == 302
    assert firm.post(f"{base}/figures", data={"confirm_figures": "y"}).status_code == 302
    assert firm.post(f"{base}/amount", data={}).status_code == 302
    for key in required_document_keys(app, code):
        upload = {"file": (io.BytesIO(make_pdf()), f"{key}.pdf")}
        response = firm.post(
            f"{base}/documents/{key}", data=upload, content_type="multipart/form-data"
        )
        assert response.status_code == 302, key
    declaration = {"declaration_name": "张伟", "declaration_title": "总经理", "agree": "y"}
    assert firm.post(f"{base}/declaration", data=declaration).status_code == 302
    return application_id


def submit_application(app, email: str, code: str, *, client=None) -> int:
    """Drive a firm's own pages to a submitted application (see ``prepare_draft``); return
    its id. Signs ``email`` in on a new client unless a signed-in ``client`` is given."""
    firm = client or app.test_client()
    if client is None:
        assert sign_in(firm, email).status_code == 302
    application_id = prepare_draft(app, firm, code)
    response = firm.post(f"/applications/{application_id}/submit", data={"confirm": "y"})
    assert response.status_code == 302
    return application_id


def make_award_final(app, application_id: int) -> None:
    """An application approved for 180,000 yuan (formula 300,000) whose publicity ended
    yesterday, made final by the daily step, which queues its letter (run inline in tests)."""
    from datetime import timedelta
    from decimal import Decimal

    from portal.applications.models import Application, Status
    from portal.core.extensions import db
    from portal.core.jobs import commit
    from portal.core.timeutil import bureau_today, utcnow
    from portal.review.publicity import advance_publicity

    with app.app_context():
        application = db.session.get(Application, application_id)
        application.status = Status.PUBLICITY
        application.decision = "approve"
        application.formula_amount = Decimal("300000.00")
        application.decided_amount = Decimal("180000.00")
        application.released_at = utcnow()
        application.publicity_ends_on = bureau_today() - timedelta(days=1)
        db.session.commit()
        assert advance_publicity() == 1
        commit()


def new_firm(name: str, uscc_body: str):
    """A made-up firm (contact 王五) named ``name``, with the USCC ``uscc_body`` plus its check
    character; added to the session and flushed (call inside an app context)."""
    from portal.accounts.models import Enterprise
    from portal.accounts.uscc import with_check_character
    from portal.core.extensions import db

    firm = Enterprise(
        name=name,
        uscc=with_check_character(uscc_body),
        contact_person="王五",
        mobile="13800000000",
    )
    db.session.add(firm)
    db.session.flush()
    return firm


def add_bare_applications(
    app, code: str, count: int, *, status, start: int | None = None, prefix: str = "T"
) -> list[int]:
    """Applications written straight into the database for made-up firms (volume tests).

    Numbering continues from the number of firms already there unless ``start`` is given, so
    that USCCs and references stay unique when called twice.
    """
    from sqlalchemy import func, select

    from portal.accounts.models import Enterprise
    from portal.applications.models import Application
    from portal.core.extensions import db
    from portal.core.timeutil import utcnow
    from portal.programs.models import Program

    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == code))
        version_id = program.versions[-1].id
        if start is None:
            start = db.session.scalar(select(func.count()).select_from(Enterprise))
        ids = []
        for number in range(start, start + count):
            firm = new_firm(f"测试企业{number:03d}有限公司", f"91210900MA{number:07d}")
            application = Application(
                reference=f"{prefix}-{number:04d}",
                enterprise_id=firm.id,
                program_id=program.id,
                program_version_id=version_id,
                status=status,
                first_submitted_at=utcnow(),
            )
            db.session.add(application)
            db.session.flush()
            ids.append(application.id)
        db.session.commit()
        return ids


def add_final_decision(
    app,
    code: str,
    *,
    firm_name: str | None = None,
    approved: bool = True,
    amount: str = "100000.00",
    reason: str = "综合评分未达到60分。",
    reason_code: str = "score_too_low",
) -> int:
    """A made-up firm with a final decision on programme ``code`` (awarded, or a released
    rejection), written straight into the database with no letter yet; returns its id."""
    from decimal import Decimal

    from sqlalchemy import func, select

    from portal.accounts.models import Enterprise
    from portal.applications.models import Application, Status
    from portal.core.extensions import db
    from portal.core.timeutil import utcnow
    from portal.programs.models import Program

    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == code))
        number = db.session.scalar(select(func.count()).select_from(Enterprise)) + 1
        firm = new_firm(firm_name or f"阜新测试企业{number:03d}有限公司", f"91210900MF{number:07d}")
        now = utcnow()
        application = Application(
            reference=f"L-{program.id}-{number:05d}",
            enterprise_id=firm.id,
            program_id=program.id,
            program_version_id=program.versions[-1].id,
            status=Status.AWARDED if approved else Status.REJECTED,
            project_title="测试项目",
            first_submitted_at=now,
            last_submitted_at=now,
            submission_count=1,
            decision="approve" if approved else "reject",
            decided_amount=Decimal(amount) if approved else None,
            decision_reason="" if approved else reason,
            decision_reason_code="" if approved else reason_code,
            decided_at=now,
            released_at=now,
            awarded_at=now if approved else None,
        )
        db.session.add(application)
        db.session.commit()
        return application.id


def detached_rows(app, statement) -> list:
    """The ORM rows ``statement`` selects, detached from the session (still readable after
    the app context ends)."""
    from portal.core.extensions import db

    with app.app_context():
        rows = list(db.session.scalars(statement))
        for row in rows:
            db.session.expunge(row)
        return rows


def letters_of(app, application_id: int) -> list:
    """An application's letters, oldest first, detached from the session."""
    from sqlalchemy import select

    from portal.letters.models import Letter

    return detached_rows(
        app, select(Letter).where(Letter.application_id == application_id).order_by(Letter.id)
    )
