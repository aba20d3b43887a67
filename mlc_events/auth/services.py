"""Accounts: registration, sign-in and password resets (both rate-limited), profile, roles."""

from __future__ import annotations

import math
import unicodedata
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..database import serialise_on, utcnow
from ..errors import NotFound, PermissionDenied, TooManyAttempts, ValidationFailed
from ..extensions import db
from ..mail import send_mail
from ..text import CONTROL, CONTROL_MULTILINE
from ..timeutil import is_timezone
from ..web import absolute_url
from .models import ROLES, LoginFailure, ResetRequest, User

MIN_PASSWORD = 8
MAX_PASSWORD = 200
MAX_EMAIL = 254
MAX_NAME = 80
MAX_INTRO = 1000
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


def normalise_email(email: str) -> str:
    """One spelling per address: trimmed, NFC (an é typed two ways is one é), lower case."""
    return unicodedata.normalize("NFC", (email or "").strip()).lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _check_password_rules(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed(
            "Choose a longer password.",
            {field: f"Use at least {MIN_PASSWORD} characters."},
        )
    if len(password) > MAX_PASSWORD:
        raise ValidationFailed(
            "Choose a shorter password.", {field: f"Use at most {MAX_PASSWORD} characters."}
        )


def _check_display_name(display_name: str | None) -> str:
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationFailed("Enter a name.", {"display_name": "Enter the name people will see."})
    if len(display_name) > MAX_NAME:
        raise ValidationFailed(
            "Name too long.", {"display_name": f"Use at most {MAX_NAME} characters."}
        )
    if CONTROL.search(display_name):
        raise ValidationFailed(
            "The name has invisible characters.",
            {"display_name": "Use letters, digits, spaces and punctuation only."},
        )
    return display_name


def _check_timezone(timezone: str | None) -> str | None:
    timezone = (timezone or "").strip() or None
    if timezone and not is_timezone(timezone):
        raise ValidationFailed(
            "Unknown timezone.",
            {"timezone": "Choose a timezone from the list (for example Europe/London)."},
        )
    return timezone


def _email_taken() -> ValidationFailed:
    return ValidationFailed(
        "That email is taken.",
        {"email": "An account with this email already exists. Sign in, or reset its password."},
    )


def create_user(
    email: str,
    display_name: str,
    password: str,
    role: str = "member",
    timezone: str | None = None,
) -> User:
    """Create an account; raises ValidationFailed if the email is taken or a field is bad."""
    email = normalise_email(email)
    if not email or "@" not in email or len(email) > MAX_EMAIL or CONTROL.search(email):
        raise ValidationFailed("Enter an email address.", {"email": "Enter a valid email address."})
    display_name = _check_display_name(display_name)
    if role not in ROLES:
        raise ValidationFailed("Unknown role.", {"role": f"Choose one of: {', '.join(ROLES)}."})
    _check_password_rules(password)
    timezone = _check_timezone(timezone)
    if find_by_email(email):
        raise _email_taken()
    user = User(email=email, display_name=display_name, role=role, timezone=timezone, intro="")
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as exc:  # the same email registered at the same moment
        db.session.rollback()
        raise _email_taken() from exc
    return user


def register(email: str, display_name: str, password: str, timezone: str | None = None) -> User:
    """Register a new member. A browser-sent timezone that is unknown is simply ignored."""
    if timezone and not is_timezone(timezone.strip()):
        timezone = None
    return create_user(email, display_name, password, "member", timezone)


def _retry_after(oldest: datetime, window: timedelta) -> int:
    return max(1, math.ceil((oldest + window - utcnow()).total_seconds()))


def _address(address: str | None) -> str:
    return (address or "unknown")[:64]


def _check_failure_limit(email: str, address: str) -> None:
    """Raise TooManyAttempts once the account or the address has used up its failures."""
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    since = utcnow() - window
    limit = current_app.config["LOGIN_FAILURE_LIMIT"]
    for column, value in ((LoginFailure.email, email), (LoginFailure.address, address)):
        count, oldest = db.session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(
                column == value, LoginFailure.at > since
            )
        ).one()
        if count >= limit:
            raise TooManyAttempts(
                "Too many failed sign-ins. Wait a few minutes, or reset your password.",
                _retry_after(oldest, window),
            )


def _record_failure(email: str, address: str) -> None:
    since = utcnow() - current_app.config["LOGIN_FAILURE_WINDOW"]
    db.session.add(LoginFailure(email=email, address=address))
    db.session.execute(LoginFailure.__table__.delete().where(LoginFailure.at < since))
    db.session.commit()


def _clear_failures(email: str) -> None:
    db.session.execute(LoginFailure.__table__.delete().where(LoginFailure.email == email))


def authenticate(email: str, password: str, address: str) -> User:
    """Return the user for these credentials; raises ValidationFailed or TooManyAttempts."""
    email = normalise_email(email)[:MAX_EMAIL]
    address = _address(address)
    _check_failure_limit(email, address)
    user = find_by_email(email)
    if user is None or not user.check_password(password or ""):
        _record_failure(email, address)
        raise ValidationFailed("Wrong email or password.", {"password": "Wrong email or password."})
    # Success clears this account's failures; the per-address count of other emails stays.
    _clear_failures(email)
    db.session.commit()
    return user


def update_profile(user: User, display_name: str, intro: str, timezone: str | None) -> User:
    """Save a member's name, intro and timezone (all or nothing)."""
    display_name = _check_display_name(display_name)
    intro = (intro or "").strip()
    if len(intro) > MAX_INTRO:
        raise ValidationFailed("Intro too long.", {"intro": f"Use at most {MAX_INTRO} characters."})
    if CONTROL_MULTILINE.search(intro):
        raise ValidationFailed(
            "The intro has invisible characters.",
            {"intro": "Remove the invisible control characters (pasted from elsewhere?)."},
        )
    timezone = _check_timezone(timezone)
    user.display_name = display_name
    user.intro = intro
    user.timezone = timezone
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str, address: str | None = None) -> None:
    """Change a password after checking the current one.

    A wrong current password counts as a failed sign-in, so a borrowed session cannot be
    used to guess the password at full speed."""
    address = _address(address)
    _check_failure_limit(user.email, address)
    if not user.check_password(current or ""):
        _record_failure(user.email, address)
        raise ValidationFailed(
            "Current password is wrong.", {"current_password": "That is not your current password."}
        )
    _check_password_rules(new, "new_password")
    user.set_password(new)
    db.session.commit()


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def make_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"uid": user.id, "pw": user.password_fingerprint})


def _check_reset_request_limit(address: str, now: datetime) -> None:
    """Raise TooManyAttempts once the address has used up its reset requests."""
    serialise_on(f"password-reset:{address}")  # a burst from one address counts one by one
    window = current_app.config["PASSWORD_RESET_REQUEST_WINDOW"]
    count, oldest = db.session.execute(
        select(func.count(), func.min(ResetRequest.at)).where(
            ResetRequest.address == address, ResetRequest.at > now - window
        )
    ).one()
    if count >= current_app.config["PASSWORD_RESET_REQUEST_LIMIT"]:
        raise TooManyAttempts(
            "Too many reset requests from your network. Wait a few minutes and try again.",
            _retry_after(oldest, window),
        )


def _reset_mails_left(email: str, now: datetime) -> bool:
    since = now - current_app.config["PASSWORD_RESET_MAIL_WINDOW"]
    mailed = db.session.scalar(
        select(func.count()).where(
            ResetRequest.email == email, ResetRequest.mailed.is_(True), ResetRequest.at > since
        )
    )
    return mailed < current_app.config["PASSWORD_RESET_MAIL_LIMIT"]


def _record_reset_request(email: str, address: str, now: datetime, mailed: bool) -> None:
    config = current_app.config
    keep = max(config["PASSWORD_RESET_MAIL_WINDOW"], config["PASSWORD_RESET_REQUEST_WINDOW"])
    db.session.add(ResetRequest(email=email, address=address, at=now, mailed=mailed))
    db.session.execute(ResetRequest.__table__.delete().where(ResetRequest.at < now - keep))


def request_password_reset(email: str, address: str | None) -> None:
    """Email a reset link if the account exists and has mails left; say nothing either way.

    :raises TooManyAttempts: the address asked for too many resets lately (of any emails).
    """
    email = normalise_email(email)[:MAX_EMAIL]
    address = _address(address)
    now = utcnow()
    _check_reset_request_limit(address, now)
    # The account's row, locked: on PostgreSQL two requests at once for one account count
    # its mails one after the other (SQLite serialises write transactions anyway).
    user = db.session.scalar(select(User).where(User.email == email).with_for_update())
    # An account over its limit is answered like any other request: no mail, no sign.
    mailed = user is not None and _reset_mails_left(email, now)
    _record_reset_request(email, address, now, mailed)
    if not mailed:
        db.session.commit()
        return
    link = absolute_url("auth.reset_password", token=make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    send_mail(
        user.email,
        "Reset your mlc-events password",
        f"Hello {user.display_name},\n\nSomeone (hopefully you) asked to reset the password of "
        f"this account. Open this link within {minutes} minutes to choose a new one:\n\n{link}\n\n"
        "The link works once. If you did not ask, ignore this mail: nothing changes.\n",
    )


def user_for_reset_token(token: str) -> User:
    """Return the user a valid, unused, unexpired token belongs to; raises NotFound."""
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except SignatureExpired as exc:
        raise NotFound("This reset link has expired. Ask for a new one.") from exc
    except BadSignature as exc:
        raise NotFound("This reset link is not valid. Ask for a new one.") from exc
    uid = data.get("uid") if isinstance(data, dict) else None
    user = db.session.get(User, uid) if isinstance(uid, int) and 0 < uid <= MAX_ID else None
    if user is None or user.password_fingerprint != data.get("pw"):
        raise NotFound("This reset link was already used. Ask for a new one.")
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password through a reset token; the token stops working."""
    user = user_for_reset_token(token)
    _check_password_rules(new_password)
    user.set_password(new_password)
    # Whoever reads the account's mail owns it: lift the sign-in lock on it too.
    _clear_failures(user.email)
    db.session.commit()
    return user


def set_role(actor: User, user_id: int, role: str) -> User:
    """Change a member's role (admins only)."""
    if not actor.is_admin:
        raise PermissionDenied("Only admins can change roles.")
    user = db.session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None:
        raise NotFound("No such member.")
    if role not in ROLES:
        raise ValidationFailed("Unknown role.", {"role": f"Choose one of: {', '.join(ROLES)}."})
    if user.id == actor.id and role != "admin":
        raise ValidationFailed(
            "You cannot remove your own admin role.",
            {"role": "Ask another admin to change your role."},
        )
    user.role = role
    db.session.commit()
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.display_name, User.id)))
