"""Demo data for ``flask --app portal seed-demo``. Idempotent: existing accounts are left alone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select

from portal.accounts import services
from portal.accounts.models import Department, Role
from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.profiles.services import update_profile
from portal.programs.demo import seed_demo_programs
from portal.review.models import ReviewerProfile

DEMO_STAFF = [
    ("admin@example.com", Role.ADMIN, "系统管理员 Admin"),
    ("officer@example.com", Role.OFFICER, "王审核 Officer Wang"),
    ("reviewer1@example.com", Role.REVIEWER, "李专家 Expert Li"),
    ("reviewer2@example.com", Role.REVIEWER, "赵专家 Expert Zhao"),
    ("reviewer3@example.com", Role.REVIEWER, "陈专家 Expert Chen"),
    # Last, so that the accounts made before the approver role keep their ids.
    ("leader@example.com", Role.APPROVER, "周领导 Leader Zhou"),
]

# The bureau's departments (科室) for the key-task wall map: (name, English name).
DEMO_DEPARTMENTS = [
    ("办公室", "General Office"),
    ("高新技术科", "High-Tech Department"),
    ("资源配置与管理科", "Resource Allocation Department"),
    ("成果转化科", "Technology Transfer Department"),
    ("人才科", "Talent Department"),
    ("区域创新科", "Regional Innovation Department"),
]

# The wall map's staff, after the others (their ids come later): (email, role, name, department).
DEMO_WALL_STAFF = [
    ("supervisor@example.com", Role.SUPERVISOR, "赵督查 Supervisor Zhao", "办公室"),
    ("hightech@example.com", Role.DEPARTMENT, "孙高新 Sun Gaoxin", "高新技术科"),
    ("funds@example.com", Role.DEPARTMENT, "钱资源 Qian Ziyuan", "资源配置与管理科"),
    ("transfer@example.com", Role.DEPARTMENT, "吴转化 Wu Zhuanhua", "成果转化科"),
    ("talent@example.com", Role.DEPARTMENT, "郑人才 Zheng Rencai", "人才科"),
    ("region@example.com", Role.DEPARTMENT, "冯区域 Feng Quyu", "区域创新科"),
    ("leader2@example.com", Role.APPROVER, "何副局长 Deputy Director He", None),
]

# Valid Fuxin codes (region 2109xx); the 18th character is the GB 32100 check character.
DEMO_ENTERPRISES = [
    dict(
        email="ent1@example.com",
        company_name="阜新氟科新材料有限公司",
        uscc="91210900MA0QF2N1XY",
        contact_person="张伟",
        mobile="13904180001",
        founded_on=date(2016, 5, 18),
        in_fluorine_park=True,
    ),
    dict(
        email="ent2@example.com",
        company_name="阜新智造装备股份有限公司",
        uscc="91210902MA0Y4K8L3L",
        contact_person="刘洋",
        mobile="13904180002",
        founded_on=date(2008, 3, 2),
        in_fluorine_park=False,
    ),
    dict(
        email="ent3@example.com",
        company_name="阜新云数软件科技有限公司",
        uscc="91210904MA10B7C6E4",
        contact_person="陈静",
        mobile="13904180003",
        founded_on=date(2021, 9, 1),
        in_fluorine_park=False,
    ),
    dict(
        email="ent4@example.com",
        company_name="阜新绿源生物科技有限公司",
        uscc="91210911MA0U3D9K2C",
        contact_person="杨帆",
        mobile="13904180004",
        founded_on=date(2012, 11, 20),
        in_fluorine_park=False,
    ),
    dict(
        email="ent5@example.com",
        company_name="阜新辽西精细化工有限公司",
        uscc="91210921MA0TL5P8WP",
        contact_person="黄磊",
        mobile="13904180005",
        founded_on=date(2005, 7, 8),
        in_fluorine_park=True,
    ),
]


# Each demo firm's profile: (high-tech certificate, R&D institution), IP counts (class I,
# class II, software copyrights), then revenue, employees, R&D expense and whether the super
# deduction was filed for the last year, the year before and the one before that, and its
# recognitions as (kind, years before the last year, certificate number).
DEMO_PROFILES: dict[str, dict[str, Any]] = {
    "ent1@example.com": dict(
        flags=(True, True),
        ip=(6, 14, 3),
        years=(
            ("62000000", 210, "1850000", True),
            ("51000000", 190, "1400000", True),
            ("43000000", 175, "1100000", True),
        ),
        recognitions=[("gazelle", 0, "LNDL-2025-018")],
    ),
    "ent2@example.com": dict(
        flags=(False, False),
        ip=(1, 5, 0),
        years=(
            ("35000000", 320, "620000", True),
            ("33000000", 310, "480000", True),
            ("30500000", 300, "450000", True),
        ),
        recognitions=[],
    ),
    "ent3@example.com": dict(
        flags=(True, False),
        ip=(2, 3, 12),
        years=(
            ("8000000", 46, "900000", True),
            ("5200000", 35, "600000", True),
            ("2100000", 20, "300000", False),
        ),
        recognitions=[("young_eagle", 0, "LNCY-2025-102")],
    ),
    "ent4@example.com": dict(
        flags=(False, False),
        ip=(0, 1, 0),
        years=(
            ("12000000", 80, "300000", True),
            ("11500000", 82, "350000", True),
            ("11000000", 85, "340000", True),
        ),
        recognitions=[],
    ),
    "ent5@example.com": dict(
        flags=(False, False),
        ip=(0, 4, 0),
        years=(
            ("150000000", 650, "2100000", True),
            ("141000000", 640, "2000000", True),
            ("128000000", 600, "1900000", True),
        ),
        recognitions=[],
    ),
}


def _year(revenue: str, employees: int, rd: str, filed: bool) -> dict[str, Any]:
    return {
        "revenue": Decimal(revenue),
        "employees": employees,
        "rd_expense": Decimal(rd),
        "super_deduction_filed": filed,
    }


def _profile(entry: dict[str, Any], last_year: int) -> dict[str, Any]:
    high_tech, rd_institution = entry["flags"]
    ip_i, ip_ii, software = entry["ip"]
    return {
        "fields": {
            "high_tech_certificate": high_tech,
            "has_rd_institution": rd_institution,
            "branch_or_trading_company": False,
            "on_abnormal_list": False,
            "on_dishonesty_list": False,
            "ip_class_i": ip_i,
            "ip_class_ii": ip_ii,
            "software_copyrights": software,
        },
        "years": {last_year - back: _year(*year) for back, year in enumerate(entry["years"])},
        "recognitions": [
            (kind, last_year - back, number) for kind, back, number in entry["recognitions"]
        ],
    }


def demo_profiles(last_year: int) -> dict[str, dict[str, Any]]:
    """Varied firms: some qualify for a programme, ent4 for none (to show why)."""
    return {email: _profile(entry, last_year) for email, entry in DEMO_PROFILES.items()}


def seed_demo_data(*, schedule: tuple | None = None) -> int:
    """Create what is missing; return how many records were created. The programmes are open
    over ``schedule`` (opens, closes; default: since a week ago, for 60 days more)."""
    password = current_app.config["DEMO_PASSWORD"]
    created = 0
    for email, role, name in DEMO_STAFF:
        if services.find_user_by_email(email) is None:
            services.create_staff(email, role, name, password)
            created += 1
    created += _seed_departments_and_wall_staff(password)
    for firm in DEMO_ENTERPRISES:
        if (
            services.find_user_by_email(firm["email"]) is None
            and services.enterprise_by_uscc(firm["uscc"]) is None
        ):
            # Demo firms are ready to use: no mail to follow first.
            services.register_enterprise(
                services.EnterpriseRegistration(password=password, **firm), confirmed=True
            )
            created += 1
    created += _seed_profiles()
    created += _seed_reviewer_profiles()
    created += seed_demo_programs(schedule=schedule)
    return created


def _seed_departments_and_wall_staff(password: str) -> int:
    created = 0
    departments = {d.name: d for d in db.session.scalars(select(Department))}
    for position, (name, name_en) in enumerate(DEMO_DEPARTMENTS, start=1):
        if name not in departments:
            departments[name] = Department(name=name, name_en=name_en, position=position)
            db.session.add(departments[name])
            created += 1
    db.session.flush()
    for email, role, display_name, department in DEMO_WALL_STAFF:
        if services.find_user_by_email(email) is None:
            services.create_staff(
                email,
                role,
                display_name,
                password,
                department_id=departments[department].id if department else None,
            )
            created += 1
    return created


# The demo reviewers' expertise: without a profile every reviewer showed "—" on the officers'
# assignment pages.
DEMO_REVIEWER_EXPERTISE = {
    "reviewer1@example.com": ["氟化工 Fluorochemicals", "新材料 New materials"],
    "reviewer2@example.com": ["智能制造 Smart manufacturing", "装备制造 Equipment"],
    "reviewer3@example.com": ["软件 Software", "生物技术 Biotechnology", "财务 Finance"],
}


def _seed_reviewer_profiles() -> int:
    """Give the demo reviewers their expertise once (a profile an officer edited stays)."""
    created = 0
    for email, expertise in DEMO_REVIEWER_EXPERTISE.items():
        user = services.find_user_by_email(email)
        if user is None or db.session.get(ReviewerProfile, user.id) is not None:
            continue
        db.session.add(ReviewerProfile(user_id=user.id, expertise=expertise, linked_usccs=[]))
        created += 1
    db.session.flush()
    return created


def _seed_profiles() -> int:
    """Fill the demo firms' profiles once (a firm that edited its profile is left alone)."""
    created = 0
    profiles = demo_profiles(bureau_today().year - 1)
    for email, profile in profiles.items():
        user = services.find_user_by_email(email)
        if user is None or user.enterprise is None or user.enterprise.profile_updated_at:
            continue
        update_profile(
            user.enterprise,
            profile["fields"],
            profile["years"],
            [(kind, year, number) for kind, year, number in profile["recognitions"]],
            actor=user,
        )
        created += 1
    return created
