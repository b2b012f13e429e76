"""Accounts: people who sign in, and the enterprises that own enterprise accounts."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core import access
from portal.core.extensions import Model, str_enum_column_type
from portal.core.i18n import DEFAULT_LOCALE, LANGUAGES
from portal.core.labels import LabelledEnum
from portal.core.timeutil import UTCDateTime, utcnow


class Role(LabelledEnum):
    # The values are the audiences that core.access checks views against.
    ENTERPRISE = access.ENTERPRISE, _l("Enterprise")
    OFFICER = access.OFFICER, _l("Officer")
    REVIEWER = access.REVIEWER, _l("Expert reviewer")
    ADMIN = access.ADMIN, _l("Administrator")
    APPROVER = access.APPROVER, _l("Approver")
    SUPERVISOR = access.SUPERVISOR, _l("Supervisor")
    DEPARTMENT = access.DEPARTMENT, _l("Department member")

    @classmethod
    def staff_roles(cls) -> tuple[Role, ...]:
        return (
            cls.OFFICER,
            cls.REVIEWER,
            cls.ADMIN,
            cls.APPROVER,
            cls.SUPERVISOR,
            cls.DEPARTMENT,
        )

    @property
    def is_staff(self) -> bool:
        return self is not Role.ENTERPRISE


role_type = str_enum_column_type(Role, "role", 20)


class Department(Model):
    """A department (科室) of the bureau: it leads key tasks of the wall map, and its members
    (staff accounts with a ``department_id``) report on them and answer their slips."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def display_name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name


class Enterprise(Model):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    contact_person: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str] = mapped_column(String(20))
    founded_on: Mapped[date | None]
    in_fluorine_park: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Profile: what eligibility rules read. None means "not given yet".
    high_tech_certificate: Mapped[bool | None]
    high_tech_certificate_no: Mapped[str] = mapped_column(String(60), default="")
    has_rd_institution: Mapped[bool | None]
    branch_or_trading_company: Mapped[bool | None]
    on_abnormal_list: Mapped[bool | None]
    on_dishonesty_list: Mapped[bool | None]
    ip_class_i: Mapped[int | None]
    ip_class_ii: Mapped[int | None]
    software_copyrights: Mapped[int | None]
    profile_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    account: Mapped[User | None] = relationship(back_populates="enterprise")

    @property
    def region_code(self) -> str:
        return self.uscc[2:8]


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        # An enterprise account always belongs to a firm, and a staff account never does: so an
        # enterprise account can never be turned into staff by changing its role alone.
        CheckConstraint(
            "(role = 'enterprise' AND enterprise_id IS NOT NULL)"
            " OR (role <> 'enterprise' AND enterprise_id IS NULL)",
            name="role_matches_enterprise",
        ),
        # Keyset pages of the account lists (migration 0013): firms newest first, and the
        # active reviewers by name.
        Index("ix_users_role_created", "role", "created_at", "id"),
        Index(
            "ix_users_reviewers_by_name",
            "role",
            "display_name",
            "id",
            sqlite_where=text("disabled_at IS NULL"),
            postgresql_where=text("disabled_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(role_type)
    display_name: Mapped[str] = mapped_column(String(100))
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="RESTRICT"), unique=True
    )
    # The account's language when its owner chose one (a language button, ``?lang=`` then
    # signing in, or the language registration was done in); "" while none was chosen, so that
    # the browser's language applies (core/i18n.py). Mails need one: see ``mail_locale``.
    locale: Mapped[str] = mapped_column(String(10), default="")
    # The department (科室) a staff member works in, for the wall map's responsibility view and
    # the slips a department member may answer; None for firms and outside reviewers.
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the owner proved the address by the emailed link. Accounts made by staff, the CLI or
    # the demo seed are confirmed as they are made (the default); only self-registration starts
    # unconfirmed (None), and such an account cannot sign in until the link is followed.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=utcnow)
    # For the record, not the lock itself (see SignInThrottle): failures from anywhere in the
    # current window, and when the latest per-address lock of this account ends.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last reset mail and the last registration mail (link, or "someone tried"): at most
    # one of each per address per ACCOUNT_MAIL_INTERVAL_MINUTES, across processes.
    reset_mail_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_mail_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Part of the session identity: bumping it ends every other session of this account.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    enterprise: Mapped[Enterprise | None] = relationship(back_populates="account")

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def mail_locale(self) -> str:
        """The language of this account's mails: its choice, else Chinese."""
        return self.locale if self.locale in LANGUAGES else DEFAULT_LOCALE


class SignInThrottle(Model):
    """Failed sign-ins of one subject (an account, or an address without one, hashed) from one
    client address, or from everywhere when ``client`` is ``*`` (the slower account-wide
    back-off). Kept in the database so that every process sees the same count."""

    __tablename__ = "sign_in_throttles"
    __table_args__ = (UniqueConstraint("subject", "client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(45))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
