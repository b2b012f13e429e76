"""Fill a database with N applications (default 100,000) across the demo programmes, with
expert reviews and their scores, decisions, publicity, awards and audit events, and print how
long it took.

    .venv/bin/python benchmarks/seed_large.py [--applications N] [--database-url URL]

The database is migrated and the demo data (programmes, staff, demo firms) loaded first; the
volume is written with bulk Core INSERTs in batches (no ORM objects per row), so 100,000
applications take minutes. Made-up firms get valid USCCs in the Fuxin region; every firm
applies to each programme at most once (the portal's own rule), so N applications need N/4
firms. A SQLite URL's file is replaced; a PostgreSQL database is created if missing and its
schema dropped and recreated. The default is a SQLite file under the system's temp folder.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 5_000
# The expert pool grows with the programmes: each expert takes about this many reviews a year
# (a person cannot do thousands), so one reviewer's queue is about as long at every size.
REVIEWS_PER_EXPERT = 40
# Share of applications in each status (expert statuses only for programmes with review).
STATUS_MIX = [
    ("draft", 5),
    ("submitted", 10),
    ("formal_check", 5),
    ("expert_review", 15),
    ("decided", 15),
    ("publicity", 10),
    ("awarded", 20),
    ("rejected", 15),
    ("withdrawn", 5),
]
REVIEWED = {"expert_review", "decided", "publicity", "awarded", "rejected"}
RELEASED = {"publicity", "awarded", "rejected"}


def prepare_database(url: str, *, recreate: bool = False) -> str:
    """Make the database at ``url`` empty; return the URL normalised. SQLite: the file and its
    WAL files are deleted. PostgreSQL: the database is created if missing and its public schema
    dropped and created again; with ``recreate``, the database itself is dropped (its
    connections closed) and created anew."""
    from portal.config import normalise_database_url

    url = normalise_database_url(url)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return url
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if recreate:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    if recreate:
        return url
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def make_app(url: str):
    os.environ.setdefault("PORTAL_INSTANCE_DIR", tempfile.mkdtemp(prefix="portal-large-"))
    os.environ.setdefault("PORTAL_SECRET_KEY", "benchmark")
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})


def _batches(rows, size=BATCH):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(table, rows) -> int:
    from portal.core.extensions import db

    count = 0
    for batch in _batches(rows):
        db.session.execute(table.insert(), batch)
        count += len(batch)
    return count


def seed(app, applications: int, rng: random.Random) -> dict[str, int]:
    from sqlalchemy import func, select

    from benchmarks.seed_post_award import seed_post_award
    from portal.accounts.models import Enterprise, Role, User
    from portal.accounts.passwords import hash_password
    from portal.accounts.uscc import with_check_character
    from portal.applications.models import Application
    from portal.core.audit import AuditEvent
    from portal.core.extensions import db
    from portal.core.timeutil import utcnow
    from portal.demo import seed_demo_data
    from portal.programs.models import Program
    from portal.review.models import Assignment

    counts: dict[str, int] = {}
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade()
        seed_demo_data()
        db.session.commit()
        programs = db.session.scalars(select(Program).order_by(Program.id)).all()
        versions = {p.id: p.versions[-1] for p in programs}
        now = utcnow()

        # Reviewers beyond the demo's three, so that assignments spread like a real pool.
        password = hash_password("Benchmark-Reviewer-1")
        reviewer_rows = [
            {
                "email": f"bench-reviewer{i}@example.com",
                "password_hash": password,
                "role": Role.REVIEWER,
                "display_name": f"评审专家{i:02d}",
                "locale": "zh_CN",
            }
            # about 3 in 4 applications get reviews; the demo's three experts count too
            for i in range(max(0, round(applications * 3 / 4 / REVIEWS_PER_EXPERT) - 3))
        ]
        counts["reviewers"] = _insert(User.__table__, reviewer_rows)
        reviewers = db.session.scalars(select(User.id).where(User.role == Role.REVIEWER)).all()

        firm_count = -(-applications // len(programs))
        first_firm = db.session.scalar(select(func.count(Enterprise.id))) + 1
        usccs = [with_check_character(f"91210900MB{n:07d}") for n in range(firm_count)]
        firm_rows = (
            {
                "name": f"阜新规模测试企业{first_firm + n:06d}有限公司",
                "uscc": usccs[n],
                "contact_person": "测试",
                "mobile": "13900000000",
                "in_fluorine_park": n % 3 == 0,
                "created_at": now,
            }
            for n in range(firm_count)
        )
        counts["enterprises"] = _insert(Enterprise.__table__, firm_rows)
        firm_ids = db.session.scalars(
            select(Enterprise.id)
            .where(Enterprise.name.like("阜新规模测试企业%"))
            .order_by(Enterprise.id)
        ).all()
        db.session.commit()

        statuses = [s for s, weight in STATUS_MIX for _ in range(weight)]
        app_rows = []
        plan = []  # (index, program, status) to derive reviews and events from
        for index in range(applications):
            program = programs[index % len(programs)]
            firm_id = firm_ids[index // len(programs)]
            status = rng.choice(statuses)
            expert = program.reviewers_per_application > 0
            if not expert and status == "expert_review":
                status = "formal_check"
            submitted_at = now - timedelta(days=rng.randint(1, 50), minutes=rng.randint(0, 1440))
            requested = Decimal(rng.randrange(50_000, 1_000_000, 100))
            score = (
                Decimal(rng.randint(4000, 9800)) / 100 if expert and status in REVIEWED else None
            )
            # Awaiting decision: half not decided yet, the rest pending approvals or rejections
            # (the officer's ranked list), as on a real decision day.
            pending = rng.choice(("", "", "approve", "reject")) if status == "decided" else ""
            approved = status in {"publicity", "awarded"} or pending == "approve"
            decided = status in RELEASED or bool(pending)
            last_year = now.year - 1
            # The profile figures an application copies when it starts (read by its page).
            figures = {
                "uscc": usccs[index // len(programs)],
                "in_fluorine_park": index % 3 == 0,
                "high_tech_certificate": True,
                "years": {
                    str(last_year - k): {
                        "revenue": str(30_000_000 + 1_000_000 * k),
                        "employees": 120,
                        "rd_expense": str(1_500_000 - 100_000 * k),
                        "super_deduction_filed": True,
                    }
                    for k in range(3)
                },
            }
            row = {
                "reference": f"L{index:07d}",
                "figures": figures,
                "enterprise_id": firm_id,
                "program_id": program.id,
                "program_version_id": versions[program.id].id,
                "status": status,
                "project_title": f"规模测试项目{index}",
                "project_summary": "",
                "requested_amount": requested,
                "formula_amount": requested,
                "review_count": program.reviewers_per_application if score is not None else 0,
                "review_mean": score,
                "review_spread": Decimal(rng.randint(0, 2500)) / 100 if score is not None else None,
                "review_flagged": bool(score is not None and rng.random() < 0.05),
                "final_score": score,
                "decision": ("approve" if approved else "reject") if decided else None,
                "decided_amount": requested if decided and approved else None,
                "decision_reason_code": "" if approved or not decided else "score_too_low",
                "decision_reason": "" if approved or not decided else "综合评分未达到要求。",
                "decided_at": now - timedelta(days=3) if decided else None,
                "released_at": now - timedelta(days=2) if status in RELEASED else None,
                "publicity_starts_on": (now - timedelta(days=1)).date()
                if status in {"publicity", "awarded"}
                else None,
                "publicity_ends_on": (now + timedelta(days=5)).date()
                if status in {"publicity", "awarded"}
                else None,
                "awarded_at": now if status == "awarded" else None,
                "submission_count": 0 if status == "draft" else 1,
                "first_submitted_at": None if status == "draft" else submitted_at,
                "last_submitted_at": None if status == "draft" else submitted_at,
                "created_at": submitted_at - timedelta(days=1),
                "updated_at": submitted_at,
            }
            app_rows.append(row)
            plan.append((index, program, status, score))
        counts["applications"] = _insert(Application.__table__, app_rows)
        db.session.commit()
        ids = dict(
            db.session.execute(
                select(Application.reference, Application.id).where(
                    Application.reference.like("L%")
                )
            ).all()
        )

        def assignments():
            # In turn, so that every expert (reviewer1 included) gets as many reviews as the
            # next: a reviewer's queue is as long at every size, not as long as luck makes it.
            turn = 0
            for index, program, status, score in plan:
                if program.reviewers_per_application <= 0 or status not in REVIEWED:
                    continue
                application_id = ids[f"L{index:07d}"]
                chosen = [
                    reviewers[(turn + k) % len(reviewers)]
                    for k in range(program.reviewers_per_application)
                ]
                turn += program.reviewers_per_application
                rubric = versions[program.id].rubric
                for reviewer_id in chosen:
                    done = status != "expert_review" or rng.random() < 0.6
                    yield {
                        "application_id": application_id,
                        "reviewer_id": reviewer_id,
                        "status": "submitted" if done else "assigned",
                        "assigned_at": now - timedelta(days=10),
                        "due_at": now + timedelta(days=rng.randint(-5, 10)),
                        "scores": {
                            c["key"]: {"score": str(rng.randint(4, 10)), "comment": "评审意见"}
                            for c in rubric
                        }
                        if done
                        else {},
                        "total": score if done else None,
                        "submitted_at": now - timedelta(days=4) if done else None,
                        "decline_note": "",
                        "for_moderation": False,
                        "minimum_missed": False,
                        "updated_at": now,
                    }

        counts["assignments"] = _insert(Assignment.__table__, assignments())

        def events():
            for index, _program, status, _score in plan:
                application_id = ids[f"L{index:07d}"]
                base = {
                    "object_type": "applications",
                    "object_id": str(application_id),
                    "application_id": application_id,
                    "occurred_at": now,
                }
                yield {**base, "action": "application.started", "summary": {}}
                if status == "draft":
                    continue
                yield {
                    **base,
                    "action": "application.submit",
                    "summary": {"old": "draft", "new": "submitted"},
                }
                if status in RELEASED:
                    action = (
                        "application.release_rejection"
                        if status == "rejected"
                        else "application.release_approval"
                    )
                    yield {**base, "action": action, "summary": {"old": "decided", "new": status}}

        counts["audit_events"] = _insert(AuditEvent.__table__, events())
        # After the award: agreements, tranches and reports of the awarded applications.
        counts |= seed_post_award(db.session, _insert, now, rng)
        _scale_budgets(db.session, programs)
        db.session.commit()
        _analyze(db.engine)
    return counts


def _scale_budgets(session, programs) -> None:
    """Budgets to the scale of the data: each programme's covers its released awards and
    about half of its pending approvals, so that the budget line of the ranked list falls
    part-way down the pending rows, as on a real decision day (the demo's budgets of a few
    million would be spent by the first rows at any size). Never lowered."""
    from sqlalchemy import case, func, select

    from portal.applications.models import Application, Status

    released = Application.status.in_((Status.PUBLICITY, Status.AWARDED))
    totals = session.execute(
        select(
            Application.program_id,
            func.sum(case((released, Application.decided_amount), else_=0)),
            func.sum(case((released, 0), else_=Application.decided_amount)),
        )
        .where(Application.decision == "approve")
        .group_by(Application.program_id)
    ).all()
    by_program = {program_id: (Decimal(a or 0), Decimal(p or 0)) for program_id, a, p in totals}
    step = Decimal(100_000)
    for program in programs:
        awarded, pending = by_program.get(program.id, (Decimal(0), Decimal(0)))
        budget = ((awarded + pending / 2) // step + 1) * step
        program.budget = max(program.budget, budget)


def _analyze(engine) -> None:
    """Give the planner statistics of the new rows, as autovacuum (PostgreSQL) or a periodic
    ANALYZE (SQLite) would in a live portal; VACUUM also marks the pages all-visible, which
    PostgreSQL's index-only scans need. A bulk load of 100,000 rows measured the moment it
    ends would otherwise be planned as if the tables were empty."""
    from sqlalchemy import text

    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{Path(tempfile.gettempdir()) / 'portal-large.db'}",
        help="SQLite (file replaced) or PostgreSQL (schema recreated)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed (same data each run)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    url = prepare_database(args.database_url)
    app = make_app(url)
    counts = seed(app, args.applications, random.Random(args.seed))
    elapsed = time.perf_counter() - started
    print(f"database      : {url}")
    for name, count in counts.items():
        print(f"{name:<14}: {count:,}")
    print(f"seconds       : {elapsed:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
