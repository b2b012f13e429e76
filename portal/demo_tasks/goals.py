"""The city's goal tiles of the demo year (双千双百) and the recognitions that give them values:
this year's certificates on the demo firms (ent5, a large firm, is no SME)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from portal.accounts.services import find_user_by_email
from portal.core.extensions import db
from portal.profiles.models import EnterpriseRecognition
from portal.programs.facts import Recognition
from portal.tasks.models import GoalTile

# (title, English title, recognition, target)
TILES = (
    ("科技型中小企业", "Technology-based SMEs", Recognition.TECH_SME, 1000),
    ("高新技术企业", "High-tech enterprises", Recognition.HIGH_TECH, 1000),
    ("瞪羚企业", "Gazelle firms", Recognition.GAZELLE, 100),
    ("雏鹰企业", "Young-eagle firms", Recognition.YOUNG_EAGLE, 100),
)

# firm -> the recognitions it holds this year, with a certificate number pattern
RECOGNITIONS = {
    "ent1": (Recognition.TECH_SME, Recognition.HIGH_TECH, Recognition.GAZELLE),
    "ent2": (Recognition.TECH_SME,),
    "ent3": (Recognition.TECH_SME, Recognition.HIGH_TECH, Recognition.YOUNG_EAGLE),
    "ent4": (Recognition.TECH_SME,),
}
PREFIX = {
    Recognition.TECH_SME: "KJXZX",
    Recognition.HIGH_TECH: "GR",
    Recognition.GAZELLE: "LNDL",
    Recognition.YOUNG_EAGLE: "LNCY",
}


def seed_recognitions(year: int) -> int:
    made = 0
    for n, (firm, kinds) in enumerate(sorted(RECOGNITIONS.items()), start=1):
        user = find_user_by_email(f"{firm}@example.com")
        if user is None or user.enterprise_id is None:
            continue
        held = set(
            db.session.scalars(
                select(EnterpriseRecognition.kind).where(
                    EnterpriseRecognition.enterprise_id == user.enterprise_id,
                    EnterpriseRecognition.year == year,
                )
            )
        )
        for kind in kinds:
            if kind in held:
                continue
            db.session.add(
                EnterpriseRecognition(
                    enterprise_id=user.enterprise_id,
                    kind=kind,
                    year=year,
                    certificate_no=f"{PREFIX[kind]}-{year}-{100 + n:03d}",
                )
            )
            made += 1
    db.session.flush()
    return made


def seed_goal_tiles(year: int) -> int:
    if db.session.scalar(select(GoalTile.id).where(GoalTile.year == year).limit(1)):
        return 0
    for position, (title, title_en, recognition, target) in enumerate(TILES, start=1):
        db.session.add(
            GoalTile(
                year=year,
                position=position,
                title=title,
                title_en=title_en,
                kind="firms_with_recognition",
                params={"recognition": recognition},
                unit="家",
                target=Decimal(target),
            )
        )
    db.session.flush()
    return len(TILES)
