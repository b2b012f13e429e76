"""The load run's database: a fresh one seeded with the demo data and N ready firm
accounts, dropped at the end, and the check of what the run left in it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

PASSWORD = "Load-Firm-2026"  # noqa: S105  (made-up accounts in a throw-away database)
EMAIL = "load-firm-{:05d}@example.com"
USCC_PREFIX = "91210900ML"  # Fuxin region; "ML" keeps clear of the demo and seeded firms


def drop_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()


def _insert(table, rows: list[dict]) -> None:
    from portal.core.extensions import db

    for start in range(0, len(rows), 2_000):
        db.session.execute(table.insert(), rows[start : start + 2_000])


def seed(app, firms: int, program_code: str) -> tuple[list[str], list[str]]:
    """Migrate, load the demo data, add ``firms`` ready firm accounts; return their emails
    and the keys of the documents the programme requires."""
    import flask_migrate
    from sqlalchemy import select

    from portal.accounts.models import Enterprise, Role, User
    from portal.accounts.passwords import hash_password
    from portal.accounts.uscc import with_check_character
    from portal.applications import sections
    from portal.core.extensions import db
    from portal.core.timeutil import bureau_today, utcnow
    from portal.demo import seed_demo_data
    from portal.profiles.models import EnterpriseRecognition, EnterpriseYear
    from portal.profiles.services import facts_for
    from portal.programs.models import Program
    from portal.programs.services import current_version, judge

    with app.app_context():
        flask_migrate.upgrade()
        seed_demo_data()
        db.session.commit()
        program = db.session.scalar(select(Program).where(Program.code == program_code))
        if program is None:
            raise SystemExit(f"no programme {program_code!r} in the demo data")
        version = current_version(program)
        if sections.reads_project(version):
            raise SystemExit(f"{program_code} asks for project figures; choose another programme")
        now = utcnow()
        today = bureau_today()
        last_year = today.year - 1
        password_hash = hash_password(PASSWORD)  # once: scrypt is slow on purpose
        emails = [EMAIL.format(n) for n in range(firms)]
        _insert(
            Enterprise.__table__,
            [
                {
                    "name": f"阜新冲刺申报测试企业{n:05d}有限公司",
                    "uscc": with_check_character(f"{USCC_PREFIX}{n:07d}"),
                    "contact_person": "张经理",
                    "mobile": f"139{n:08d}",
                    "founded_on": date(2014, 1, 1) + timedelta(days=n % 2000),
                    "in_fluorine_park": n % 4 == 0,
                    "created_at": now,
                    # A full profile: above designated size, high-tech, R&D growing, a gazelle.
                    "high_tech_certificate": True,
                    "high_tech_certificate_no": f"GR2024210{n:05d}",
                    "has_rd_institution": True,
                    "branch_or_trading_company": False,
                    "on_abnormal_list": False,
                    "on_dishonesty_list": False,
                    "ip_class_i": 1 + n % 5,
                    "ip_class_ii": 3 + n % 7,
                    "software_copyrights": n % 4,
                    "profile_updated_at": now,
                }
                for n in range(firms)
            ],
        )
        firm_ids = db.session.scalars(
            select(Enterprise.id)
            .where(Enterprise.uscc.like(f"{USCC_PREFIX}%"))
            .order_by(Enterprise.uscc)
        ).all()
        _insert(
            User.__table__,
            [
                {
                    "email": email,
                    "password_hash": password_hash,
                    "role": Role.ENTERPRISE,
                    "display_name": "张经理",
                    "enterprise_id": firm_id,
                    "locale": "zh_CN",
                    "failed_sign_ins": 0,
                    "session_version": 1,
                    "created_at": now,
                }
                for email, firm_id in zip(emails, firm_ids, strict=True)
            ],
        )
        years = []
        for n, firm_id in enumerate(firm_ids):
            rd = Decimal(1_200_000 + 1_000 * n)
            for back in range(3):
                years.append(
                    {
                        "enterprise_id": firm_id,
                        "year": last_year - back,
                        "revenue": Decimal(60_000_000 - 6_000_000 * back + 10_000 * n),
                        "employees": 200 - 10 * back,
                        "rd_expense": (rd * Decimal(1 - back * 0.2)).quantize(Decimal("1")),
                        "super_deduction_filed": True,
                        "updated_at": now,
                    }
                )
        _insert(EnterpriseYear.__table__, years)
        _insert(
            EnterpriseRecognition.__table__,
            [
                {
                    "enterprise_id": firm_id,
                    "kind": "gazelle",
                    "year": last_year,
                    "certificate_no": f"LNDL-{last_year}-{n:05d}",
                }
                for n, firm_id in enumerate(firm_ids)
            ],
        )
        db.session.commit()
        for firm_id in (firm_ids[0], firm_ids[-1]):
            verdict = judge(program, version, facts_for(db.session.get(Enterprise, firm_id), today))
            if not (verdict.may_start and verdict.eligible):
                raise SystemExit(f"load firm {firm_id} does not qualify for {program_code}")
        documents = [doc["key"] for doc in version.documents if doc.get("required")]
        db.session.remove()
    return emails, documents


def small_pdf() -> bytes:
    """A real one-page PDF (pypdf) that the portal's upload check accepts."""
    import io

    from pypdf import PdfWriter

    from portal.core.uploads import check_upload

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "研发费用加计扣除优惠明细表"})
    buffer = io.BytesIO()
    writer.write(buffer)
    data = buffer.getvalue()
    check_upload(data, ["pdf"], 10 * 1024 * 1024)  # raises UploadRejected if it would be refused
    return data


def check_database(app, program_code: str, events: dict) -> tuple[list[str], dict[str, int]]:
    """Problems found (empty when all is well) and a few counts for the report."""
    from sqlalchemy import func, select

    from portal.accounts.models import Enterprise
    from portal.applications.models import Application, ApplicationSubmission, Status
    from portal.core.audit import AuditEvent
    from portal.core.extensions import db
    from portal.programs.models import Program

    problems: list[str] = []
    with app.app_context():
        program_id = db.session.scalar(select(Program.id).where(Program.code == program_code))
        rows = db.session.execute(
            select(
                Application.id,
                Application.reference,
                Application.enterprise_id,
                Application.status,
                Application.submission_count,
            )
            .join(Enterprise, Enterprise.id == Application.enterprise_id)
            .where(Enterprise.uscc.like(f"{USCC_PREFIX}%"), Application.program_id == program_id)
        ).all()
        snapshots = dict(
            db.session.execute(
                select(ApplicationSubmission.application_id, func.count())
                .where(ApplicationSubmission.application_id.in_([r.id for r in rows] or [0]))
                .group_by(ApplicationSubmission.application_id)
            ).all()
        )
        submit_events = dict(
            db.session.execute(
                select(AuditEvent.object_id, func.count())
                .where(
                    AuditEvent.object_type == "applications",
                    AuditEvent.action == "application.submit",
                    AuditEvent.object_id.in_([str(r.id) for r in rows] or ["0"]),
                )
                .group_by(AuditEvent.object_id)
            ).all()
        )
        db.session.remove()

    by_id = {r.id: r for r in rows}
    seen: dict[int, int] = defaultdict(int)
    references: dict[int, str] = {}
    for item in events["submitted"]:
        seen[item["id"]] += 1
        references[item["id"]] = item["reference"]
    for application_id, times in seen.items():
        row = by_id.get(application_id)
        if times > 1:
            problems.append(f"application {application_id} was reported submitted {times} times")
        if row is None:
            problems.append(f"submitted application {application_id} is not in the database")
            continue
        if references[application_id] != row.reference:
            problems.append(
                f"application {application_id}: the run saw {references[application_id]!r}, "
                f"the database holds {row.reference!r}"
            )
        if row.status is not Status.SUBMITTED:
            problems.append(f"{row.reference}: status {row.status.value}, not submitted")
        if row.submission_count != 1 or snapshots.get(row.id, 0) != 1:
            problems.append(
                f"{row.reference}: {row.submission_count} submissions counted, "
                f"{snapshots.get(row.id, 0)} stored (1 expected)"
            )
        if submit_events.get(str(row.id), 0) != 1:
            problems.append(f"{row.reference}: {submit_events.get(str(row.id), 0)} submit events")
    per_firm: dict[int, int] = defaultdict(int)
    for row in rows:
        if row.status is not Status.WITHDRAWN:
            per_firm[row.enterprise_id] += 1
        if row.submission_count and row.id not in events["sent"]:
            problems.append(f"{row.reference} was submitted but no virtual user sent it")
    doubles = [firm for firm, count in per_firm.items() if count > 1]
    if doubles:
        problems.append(f"{len(doubles)} firms have two applications to the programme")
    # The counts the database keeps by trigger (dashboard, queues) still agree with a full
    # count after all those concurrent writes.
    from portal.review.tallies import check_tallies

    with app.app_context():
        problems.extend(f"tallies: {problem}" for problem in check_tallies())
    submitted_in_db = sum(1 for r in rows if r.submission_count)
    counts = {
        "applications": len(rows),
        "submitted": submitted_in_db,
        "drafts": sum(1 for r in rows if r.status is Status.DRAFT),
        "unconfirmed": len({r.id for r in rows if r.submission_count} - set(seen)),
    }
    return problems, counts
