from datetime import timedelta

import pytest

from portal.config import load_or_create_secret_key, normalise_database_url, settings_from_env


def test_defaults_are_safe(tmp_path):
    settings = settings_from_env({}, tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'portal.db'}"
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings["REMEMBER_COOKIE_DURATION"] < timedelta(days=365)
    assert settings["MAX_CONTENT_LENGTH"] == 25 * 1024 * 1024
    assert settings["BABEL_DEFAULT_LOCALE"] == "zh_CN"
    assert settings["RATELIMIT_STORAGE_URI"] == "memory://"


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = settings_from_env({}, tmp_path)["SECRET_KEY"]
    second = settings_from_env({}, tmp_path)["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_secret_key_from_environment_wins(tmp_path):
    settings = settings_from_env({"PORTAL_SECRET_KEY": "given"}, tmp_path)
    assert settings["SECRET_KEY"] == "given"
    assert not (tmp_path / "secret_key").exists()


def test_https_turns_on_secure_cookies(tmp_path):
    settings = settings_from_env({"PORTAL_HTTPS": "true"}, tmp_path)
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True
    assert settings["PREFERRED_URL_SCHEME"] == "https"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_uses_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


def test_redis_url_moves_rate_limits_to_redis(tmp_path):
    settings = settings_from_env({"PORTAL_REDIS_URL": "redis://127.0.0.1:6379/0"}, tmp_path)
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_bad_number_is_reported_by_name(tmp_path):
    with pytest.raises(ValueError, match="PORTAL_MAX_UPLOAD_MB"):
        settings_from_env({"PORTAL_MAX_UPLOAD_MB": "lots"}, tmp_path)


def test_key_file_is_not_overwritten(tmp_path):
    (tmp_path / "secret_key").write_text("existing\n")
    assert load_or_create_secret_key(tmp_path) == "existing"
