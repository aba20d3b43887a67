"""Configuration read from the environment (and a ``.env`` file)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv


class ConfigError(RuntimeError):
    """The environment does not describe a runnable app."""


def _secret_key(instance_path: Path, production: bool) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise ConfigError("SECRET_KEY must be set when MLC_ENV=production")
    # Development: generate once and keep it, so sessions survive restarts.
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(instance_path: Path) -> dict:
    """Build the Flask config mapping from the environment."""
    load_dotenv(override=False)
    instance_path.mkdir(parents=True, exist_ok=True)
    production = os.environ.get("MLC_ENV") == "production"
    port = os.environ.get("PORT", "5000")
    return {
        "MLC_ENV": "production" if production else "development",
        "SECRET_KEY": _secret_key(instance_path, production),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance_path / 'mlc_events.db'}"
        ),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # Keys of the live updates in Redis; several apps (or test runs) can share one Redis.
        "LIVE_REDIS_PREFIX": os.environ.get("LIVE_REDIS_PREFIX", "mlc:live:"),
        "BASE_URL": (os.environ.get("BASE_URL") or f"http://127.0.0.1:{port}").rstrip("/"),
        "MAIL_URL": os.environ.get("MAIL_URL") or None,
        "MAIL_FROM": os.environ.get("MAIL_FROM", "mlc-events <events@mlc-events.invalid>"),
        "OUTBOX_DIR": str(instance_path / "outbox"),
        # thread: a background sender in each server process; inline: send right after the
        # commit (tests); off: only `flask mail send-queued` sends.
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "thread"),
        # Reverse proxies in front of the app (nginx: 1). Their X-Forwarded-* headers are
        # then trusted, so that the sign-in and reset limits count real client addresses.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0") or 0),
        # Tokens live as long as the session: a live session lasts longer than an hour.
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "PASSWORD_RESET_MAX_AGE": 3600,
        "LOGIN_FAILURE_LIMIT": 10,
        "LOGIN_FAILURE_WINDOW": timedelta(minutes=15),
        # Reset links mailed to one account per window; further requests mail nothing (and
        # answer as usual, so that nobody learns whether the account exists).
        "PASSWORD_RESET_MAIL_LIMIT": 3,
        "PASSWORD_RESET_MAIL_WINDOW": timedelta(hours=1),
        # Reset requests from one address per window, for any emails; the next one gets 429.
        "PASSWORD_RESET_REQUEST_LIMIT": 10,
        "PASSWORD_RESET_REQUEST_WINDOW": timedelta(minutes=15),
        "EVENTS_PER_PAGE": 30,
        # Live updates on one event within this many seconds of the last broadcast are folded
        # into one (mlc_events/live/coalesce.py): at most about four messages a second.
        "LIVE_COALESCE_SECONDS": 0.25,
    }
