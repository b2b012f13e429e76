"""Settings, read from ``PORTAL_*`` environment variables in one place.

Defaults are safe for production: secure cookies are switched on whenever the portal is told it
is served over HTTPS, the secret key is never a constant, and SQLite lives in ``instance/``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TRUE_WORDS = {"1", "true", "yes", "on"}


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in TRUE_WORDS


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from exc


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the operator used."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_or_create_secret_key(instance_path: Path) -> str:
    """Keep a generated key in instance/ so sessions survive restarts without a shipped secret."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Create with 0600 so other local users cannot read it.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def settings_from_env(env: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
    """Return the Flask config mapping for this environment (pure apart from the key file)."""
    https = _flag(env, "PORTAL_HTTPS", False)
    database_url = env.get("PORTAL_DATABASE_URL") or f"sqlite:///{instance_path / 'portal.db'}"
    secret_key = env.get("PORTAL_SECRET_KEY") or load_or_create_secret_key(instance_path)
    redis_url = env.get("PORTAL_REDIS_URL", "")
    redis_timeout = _int(env, "PORTAL_REDIS_TIMEOUT_SECONDS", 2)
    return {
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "FILES_DIR": env.get("PORTAL_FILES_DIR") or str(instance_path / "files"),
        "BASE_URL": base_url_from_env(env),
        # Cookies: Lax blocks cross-site POSTs; Secure whenever served over HTTPS.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_DURATION": timedelta(days=_int(env, "PORTAL_REMEMBER_DAYS", 14)),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_int(env, "PORTAL_SESSION_HOURS", 12)),
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "MAX_CONTENT_LENGTH": _int(env, "PORTAL_MAX_UPLOAD_MB", 25) * 1024 * 1024,
        # Each uploaded file is parsed in a child process with these limits (portal/core/
        # sandbox.py); a file that needs more is refused. Ordinary files need a fraction of them.
        "UPLOAD_CHECK_CPU_SECONDS": _int(env, "PORTAL_UPLOAD_CHECK_CPU_SECONDS", 2),
        "UPLOAD_CHECK_MEMORY_MB": _int(env, "PORTAL_UPLOAD_CHECK_MEMORY_MB", 512),
        "UPLOAD_CHECK_WALL_SECONDS": _int(env, "PORTAL_UPLOAD_CHECK_WALL_SECONDS", 5),
        "UPLOAD_RATE_LIMIT": env.get("PORTAL_UPLOAD_RATE_LIMIT", "30 per minute"),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        **_sign_in_settings(env),
        "PASSWORD_HASH_METHOD": "scrypt",
        "PROXY_FIX_HOPS": _int(env, "PORTAL_PROXY_HOPS", 0),
        "REDIS_URL": redis_url,
        # Connect and read timeouts (seconds) of the job queue's and the rate limits' Redis
        # connections: a dead or hung Redis fails a call in this time instead of holding it.
        "REDIS_TIMEOUT_SECONDS": redis_timeout,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_STORAGE_OPTIONS": (
            {"socket_connect_timeout": redis_timeout, "socket_timeout": redis_timeout}
            if redis_url
            else {}
        ),
        # Redis down: fail open. Each process counts in its own memory until Redis answers
        # again (Flask-Limiter logs a warning and checks back), and any other error of the
        # limiter is logged, never the request's failure.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_ENABLED": _flag(env, "PORTAL_RATELIMIT", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": env.get("PORTAL_LOGIN_RATE_LIMIT", "30 per minute"),
        "REGISTER_RATE_LIMIT": env.get("PORTAL_REGISTER_RATE_LIMIT", "10 per hour"),
        "DEMO_PASSWORD": env.get("PORTAL_DEMO_PASSWORD", "Demo-Portal-2026"),
        # Public holidays and make-up working days for publicity periods, e.g.
        # "2026-10-01..2026-10-07, +2026-10-10" (see portal/review/calendar.py).
        "HOLIDAYS": env.get("PORTAL_HOLIDAYS", ""),
        "LOG_LEVEL": env.get("PORTAL_LOG_LEVEL", "INFO"),
        # Decision letters: the issuing bureau as printed, the text under the seal's star (none
        # on the bureau's official seal, which a notice carries; e.g. 业务专用章).
        "BUREAU_NAME_ZH": env.get("PORTAL_BUREAU_NAME_ZH", "阜新市科学技术局"),
        "BUREAU_NAME_EN": env.get(
            "PORTAL_BUREAU_NAME_EN", "Fuxin Municipal Bureau of Science and Technology"
        ),
        "SEAL_FOOTER": env.get("PORTAL_SEAL_FOOTER", ""),
        # Open data of awards (360Giving): the publisher's grant-identifier prefix, and the
        # bureau's own organisation identifier (the prefix itself when not given).
        "OPEN_DATA_PREFIX": env.get("PORTAL_OPEN_DATA_PREFIX", "360G-fuxinkj"),
        "OPEN_DATA_FUNDER_ID": env.get("PORTAL_OPEN_DATA_FUNDER_ID", ""),
        "VERIFY_RATE_LIMIT": env.get("PORTAL_VERIFY_RATE_LIMIT", "30 per minute"),
        # Background jobs (letters, exports): Redis when configured, else a SQLite queue file.
        "JOBS_SQLITE_PATH": env.get("PORTAL_JOBS_SQLITE_PATH") or str(instance_path / "jobs.db"),
        "JOBS_IMMEDIATE": _flag(env, "PORTAL_JOBS_IMMEDIATE", False),
        "LETTER_WORKERS": _int(env, "PORTAL_LETTER_WORKERS", 1),
        **_letter_settings(env),
        **_mail_settings(env, instance_path),
        **_publicity_settings(env),
    }


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# Serving on every interface: the address to print is not known, so letters use loopback.
WILDCARD_HOSTS = {"0.0.0.0", "::", "[::]", ""}  # noqa: S104 (recognised, not bound)


def base_url_from_env(env: Mapping[str, str]) -> str:
    """The portal's public address (printed in letters and mails): PORTAL_BASE_URL, else the
    address it serves on (HOST and PORT, as ``make run`` and gunicorn use them)."""
    if env.get("PORTAL_BASE_URL"):
        return env["PORTAL_BASE_URL"]
    host = env.get("HOST", "").strip()
    host = "127.0.0.1" if host in WILDCARD_HOSTS else host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    return f"http://{host}:{_int(env, 'PORT', 5000)}"


def base_url_doubts(base_url: str, env: Mapping[str, str]) -> list[str]:
    """Why the printed address may not reach this portal (empty when it looks right): its port
    is not the PORT served on, or it is a loopback address while serving to other hosts."""
    doubts = []
    url = urlsplit(base_url)
    try:
        port = url.port or (443 if url.scheme == "https" else 80)
    except ValueError:
        return [f"PORTAL_BASE_URL {base_url!r} has no valid port"]
    served_port = (env.get("PORT") or "").strip()
    served_host = (env.get("HOST") or "").strip()
    # Behind a proxy the public port differs by design: only a direct address must match.
    direct = (url.hostname or "") in LOOPBACK_HOSTS or url.hostname == served_host
    if direct and served_port.isdigit() and int(served_port) != port:
        doubts.append(f"letters print {base_url} but the portal serves on port {served_port}")
    if (url.hostname or "") in LOOPBACK_HOSTS and served_host not in LOOPBACK_HOSTS | {""}:
        doubts.append(
            f"letters print the loopback address {base_url} while the portal serves on "
            f"{served_host}: set PORTAL_BASE_URL to the address people use"
        )
    return doubts


def _letter_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """What decision letters print besides the decision (GB/T 9704 closing parts, remedies,
    payment), in Chinese and in the English translation; Fuxin's by default."""
    return {
        # 公开属性, printed as the 附注 under the date.
        "LETTER_DISCLOSURE_APPROVAL_ZH": env.get(
            "PORTAL_LETTER_DISCLOSURE_APPROVAL_ZH", "此件公开发布"
        ),
        "LETTER_DISCLOSURE_APPROVAL_EN": env.get(
            "PORTAL_LETTER_DISCLOSURE_APPROVAL_EN", "This notice is published."
        ),
        "LETTER_DISCLOSURE_REJECTION_ZH": env.get(
            "PORTAL_LETTER_DISCLOSURE_REJECTION_ZH", "此件依申请公开"
        ),
        "LETTER_DISCLOSURE_REJECTION_EN": env.get(
            "PORTAL_LETTER_DISCLOSURE_REJECTION_EN", "Disclosed on request."
        ),
        # 版记: 抄送 (empty leaves the line out), 印发机关; the 印发日期 is the issue date.
        "LETTER_CC_ZH": env.get("PORTAL_LETTER_CC_ZH", "阜新市财政局"),
        "LETTER_CC_EN": env.get("PORTAL_LETTER_CC_EN", "Fuxin Municipal Finance Bureau"),
        "LETTER_PRINTED_BY_ZH": env.get("PORTAL_LETTER_PRINTED_BY_ZH", "阜新市科学技术局办公室"),
        "LETTER_PRINTED_BY_EN": env.get(
            "PORTAL_LETTER_PRINTED_BY_EN",
            "General Office, Fuxin Municipal Bureau of Science and Technology",
        ),
        # A rejection's remedies: reconsideration by the government at the same level, or a
        # lawsuit in the competent court (Liaoning concentrates administrative cases).
        "LETTER_RECONSIDERATION_BODY_ZH": env.get(
            "PORTAL_LETTER_RECONSIDERATION_BODY_ZH", "阜新市人民政府"
        ),
        "LETTER_RECONSIDERATION_BODY_EN": env.get(
            "PORTAL_LETTER_RECONSIDERATION_BODY_EN", "Fuxin Municipal People's Government"
        ),
        "LETTER_RECONSIDERATION_DAYS": _int(env, "PORTAL_LETTER_RECONSIDERATION_DAYS", 60),
        "LETTER_COURT_ZH": env.get("PORTAL_LETTER_COURT_ZH", "阜新市细河区人民法院"),
        "LETTER_COURT_EN": env.get(
            "PORTAL_LETTER_COURT_EN", "Xihe District People's Court of Fuxin"
        ),
        "LETTER_LAWSUIT_MONTHS": _int(env, "PORTAL_LETTER_LAWSUIT_MONTHS", 6),
        # An approval: how and when the money is paid, and what the firm does next.
        "LETTER_PAYMENT_ZH": env.get(
            "PORTAL_LETTER_PAYMENT_ZH",
            "支持资金由我局会同市财政局通过预算管理一体化系统，于公示期满后15个工作日内"
            "一次性拨付至你单位登记的银行账户。",
        ),
        "LETTER_PAYMENT_EN": env.get(
            "PORTAL_LETTER_PAYMENT_EN",
            "The bureau and the municipal finance bureau pay the funds in one sum through the "
            "budget management system to your registered bank account within 15 working days "
            "after the publicity period ends.",
        ),
        "LETTER_NEXT_STEPS_ZH": env.get(
            "PORTAL_LETTER_NEXT_STEPS_ZH",
            "请你单位自收到本通知之日起10个工作日内与我局签订资金支持协议；收款账户须为"
            "以你单位登记名称开立的银行账户；资金到账后，于每年12月31日前通过本平台报送"
            "资金使用情况。",
        ),
        "LETTER_NEXT_STEPS_EN": env.get(
            "PORTAL_LETTER_NEXT_STEPS_EN",
            "Within 10 working days of receiving this notice, sign the funding agreement with "
            "the bureau; the receiving bank account must be held in your enterprise's "
            "registered name; once the funds arrive, report their use through this portal by "
            "31 December each year.",
        ),
        # A recovery notice (追回通知书): the account the firm repays to.
        "RECOVERY_ACCOUNT_ZH": env.get(
            "PORTAL_RECOVERY_ACCOUNT_ZH",
            "户名：阜新市财政局；开户行：中国工商银行阜新分行营业部；账号：0706 0000 0000 0000 000"
            "（汇款时请注明“追回资金”及通知书文号）",
        ),
        "RECOVERY_ACCOUNT_EN": env.get(
            "PORTAL_RECOVERY_ACCOUNT_EN",
            "Account name: Fuxin Municipal Finance Bureau; bank: Industrial and Commercial Bank "
            "of China, Fuxin Branch business department; account number: 0706 0000 0000 0000 "
            "000 (state “recovered funds” and the notice's number with the transfer)",
        ),
    }


def _sign_in_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Lockout by account and client address, and the account-wide back-off."""
    return {
        "LOGIN_MAX_FAILURES": _int(env, "PORTAL_LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCKOUT_MINUTES": _int(env, "PORTAL_LOGIN_LOCKOUT_MINUTES", 15),
        # The slower back-off of an account attacked from many addresses (accounts/throttle.py).
        "LOGIN_GLOBAL_MAX_FAILURES": _int(env, "PORTAL_LOGIN_GLOBAL_MAX_FAILURES", 50),
        "LOGIN_GLOBAL_WINDOW_MINUTES": _int(env, "PORTAL_LOGIN_GLOBAL_WINDOW_MINUTES", 60),
        "LOGIN_BACKOFF_SECONDS": _int(env, "PORTAL_LOGIN_BACKOFF_SECONDS", 30),
    }


def _publicity_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Where the public sends objections during publicity (printed on the page and the notice),
    and how an objector's identity is confirmed."""
    return {
        "PUBLICITY_CONTACT_OFFICE_ZH": env.get(
            "PORTAL_PUBLICITY_CONTACT_OFFICE_ZH", "阜新市科学技术局政策法规科"
        ),
        "PUBLICITY_CONTACT_OFFICE_EN": env.get(
            "PORTAL_PUBLICITY_CONTACT_OFFICE_EN",
            "Policy and Regulations Section, Fuxin Municipal Bureau of Science and Technology",
        ),
        "PUBLICITY_CONTACT_PHONE": env.get("PORTAL_PUBLICITY_CONTACT_PHONE", "0418-2822601"),
        "PUBLICITY_CONTACT_ADDRESS_ZH": env.get(
            "PORTAL_PUBLICITY_CONTACT_ADDRESS_ZH", "辽宁省阜新市海州区中华路41号 邮编123000"
        ),
        "PUBLICITY_CONTACT_ADDRESS_EN": env.get(
            "PORTAL_PUBLICITY_CONTACT_ADDRESS_EN",
            "41 Zhonghua Road, Haizhou District, Fuxin, Liaoning 123000",
        ),
        "PUBLICITY_CONTACT_EMAIL": env.get(
            "PORTAL_PUBLICITY_CONTACT_EMAIL", "fxkjjgs@fuxin.gov.cn"
        ),
        # One-time codes that confirm an objector's email (or phone, with an SMS gateway).
        "PUBLICITY_CODE_MINUTES": _int(env, "PORTAL_PUBLICITY_CODE_MINUTES", 15),
        "PUBLICITY_CODE_ATTEMPTS": _int(env, "PORTAL_PUBLICITY_CODE_ATTEMPTS", 5),
        "PUBLICITY_CODE_RATE_LIMIT": env.get("PORTAL_PUBLICITY_CODE_RATE_LIMIT", "5 per hour"),
        # An HTTP endpoint that sends text messages (POST JSON {"to", "text"}); none: email only.
        "PUBLICITY_SMS_GATEWAY_URL": env.get("PORTAL_PUBLICITY_SMS_GATEWAY_URL", ""),
        # How long the signed link to an objection's status page works (mailed to the objector).
        "PUBLICITY_STATUS_LINK_DAYS": _int(env, "PORTAL_PUBLICITY_STATUS_LINK_DAYS", 365),
    }


def _mail_settings(env: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
    """Mail, and the links mails carry."""
    return {
        # Mail: an SMTP server when PORTAL_SMTP_HOST is set, else .eml files in the outbox.
        "SMTP_HOST": env.get("PORTAL_SMTP_HOST", ""),
        "SMTP_PORT": _int(env, "PORTAL_SMTP_PORT", 25),
        "SMTP_USER": env.get("PORTAL_SMTP_USER", ""),
        "SMTP_PASSWORD": env.get("PORTAL_SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _flag(env, "PORTAL_SMTP_STARTTLS", False),
        "SMTP_SSL": _flag(env, "PORTAL_SMTP_SSL", False),
        "SMTP_TIMEOUT": _int(env, "PORTAL_SMTP_TIMEOUT", 20),
        "MAIL_FROM": env.get("PORTAL_MAIL_FROM", "noreply@portal.invalid"),
        "MAIL_FROM_NAME": env.get("PORTAL_MAIL_FROM_NAME", "科技政策兑现服务平台"),
        "OUTBOX_DIR": env.get("PORTAL_OUTBOX_DIR") or str(instance_path / "outbox"),
        "PASSWORD_RESET_MINUTES": _int(env, "PORTAL_PASSWORD_RESET_MINUTES", 60),
        "REGISTRATION_CONFIRM_HOURS": _int(env, "PORTAL_REGISTRATION_CONFIRM_HOURS", 48),
        # At most one reset mail, and one registration mail, per address in this many minutes.
        "ACCOUNT_MAIL_INTERVAL_MINUTES": _int(env, "PORTAL_ACCOUNT_MAIL_INTERVAL_MINUTES", 5),
    }
