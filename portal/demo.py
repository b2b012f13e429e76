"""Demo data for ``flask --app portal seed-demo``. Idempotent: existing accounts are left alone."""

from __future__ import annotations

from datetime import date

from flask import current_app

from portal.accounts import services
from portal.accounts.models import Role

DEMO_STAFF = [
    ("admin@example.com", Role.ADMIN, "系统管理员 Admin"),
    ("officer@example.com", Role.OFFICER, "王审核 Officer Wang"),
    ("reviewer1@example.com", Role.REVIEWER, "李专家 Expert Li"),
    ("reviewer2@example.com", Role.REVIEWER, "赵专家 Expert Zhao"),
    ("reviewer3@example.com", Role.REVIEWER, "陈专家 Expert Chen"),
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


def seed_demo_data() -> int:
    """Create what is missing; return how many accounts were created."""
    password = current_app.config["DEMO_PASSWORD"]
    created = 0
    for email, role, name in DEMO_STAFF:
        if services.find_user_by_email(email) is None:
            services.create_staff(email, role, name, password)
            created += 1
    for firm in DEMO_ENTERPRISES:
        if (
            services.find_user_by_email(firm["email"]) is None
            and services.enterprise_by_uscc(firm["uscc"]) is None
        ):
            services.register_enterprise(services.EnterpriseRegistration(password=password, **firm))
            created += 1
    return created
