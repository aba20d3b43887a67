"""The account services called directly: create_user, register, authenticate, set_role, ..."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from mlc_events.auth import services
from mlc_events.auth.models import ROLES, LoginFailure, User
from mlc_events.database import utcnow
from mlc_events.errors import NotFound, PermissionDenied, TooManyAttempts, ValidationFailed
from mlc_events.extensions import db
from tests.conftest import PASSWORD, both_backends

pytestmark = both_backends

FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")


@pytest.fixture
def fast_hashing(monkeypatch):
    """scrypt costs 0.1 s a hash; tests that are not about hashing use a cheap one."""
    from mlc_events.auth import models

    real = models.generate_password_hash
    monkeypatch.setattr(
        models, "generate_password_hash", lambda pw, method=None: real(pw, "pbkdf2:sha256:1")
    )


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def failures(**where) -> int:
    query = select(func.count()).select_from(LoginFailure)
    for column, value in where.items():
        query = query.where(getattr(LoginFailure, column) == value)
    return db.session.scalar(query)


def add_failures(n: int, email: str = "x@example.org", address: str = "192.0.2.1", ago=None):
    at = utcnow() - (ago or timedelta(0))
    for _ in range(n):
        db.session.add(LoginFailure(email=email, address=address, at=at))
    db.session.commit()


def field_of(exc_info) -> set[str]:
    return set(exc_info.value.field_errors)


# --- create_user, register --------------------------------------------------------------------


def test_create_user_stores_a_scrypt_hash_and_a_normalised_email(app):
    user = services.create_user("  Ada@Example.ORG ", "  Ada Lovelace ", PASSWORD)
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.email == "ada@example.org"
    assert user.display_name == "Ada Lovelace"
    assert user.role == "member"
    assert user.intro == ""
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD)
    assert not user.check_password(PASSWORD + "!")


@pytest.mark.parametrize("role", ROLES)
def test_create_user_with_each_role(app, fast_hashing, role):
    user = services.create_user(f"{role}@example.org", role.title(), PASSWORD, role)
    assert user.role == role
    assert user.is_host == (role in ("host", "admin"))
    assert user.is_admin == (role == "admin")


@pytest.mark.parametrize(
    "spelling",
    ["ada@example.org", "ADA@EXAMPLE.ORG", " ada@example.org\t", "Ada@example.org"],
)
def test_create_user_refuses_a_taken_email_in_any_spelling(app, fast_hashing, spelling):
    services.create_user("ada@example.org", "Ada", PASSWORD)
    with pytest.raises(ValidationFailed) as exc_info:
        services.create_user(spelling, "Impostor", PASSWORD)
    assert "already exists" in exc_info.value.field_errors["email"]
    assert user_count() == 1


def test_an_accent_typed_two_ways_is_one_email(app, fast_hashing):
    services.create_user("zo\u00e9@example.org", "Zoé", PASSWORD)  # é as one code point
    with pytest.raises(ValidationFailed):
        services.create_user("ZOE\u0301@example.org", "Zoé again", PASSWORD)  # e + accent
    assert user_count() == 1
    assert services.find_by_email("zoe\u0301@EXAMPLE.org") is not None


def test_a_duplicate_that_slips_past_the_check_is_still_a_clear_error(
    app, fast_hashing, monkeypatch
):
    """Two registrations at the same moment: both see no account, the database refuses one."""
    services.create_user("ada@example.org", "Ada", PASSWORD)
    monkeypatch.setattr(services, "find_by_email", lambda email: None)
    with pytest.raises(ValidationFailed) as exc_info:
        services.create_user("ada@example.org", "Ada twin", PASSWORD)
    assert field_of(exc_info) == {"email"}
    assert user_count() == 1
    assert db.session.scalar(select(User.display_name)) == "Ada"  # the session still works


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", "Ada", PASSWORD), "email"),
        (("no-at-sign", "Ada", PASSWORD), "email"),
        (("a" * 250 + "@example.org", "Ada", PASSWORD), "email"),
        (("ada\n@example.org", "Ada", PASSWORD), "email"),
        (("ada@example.org", "", PASSWORD), "display_name"),
        (("ada@example.org", "   ", PASSWORD), "display_name"),
        (("ada@example.org", "n" * 81, PASSWORD), "display_name"),
        (("ada@example.org", "Ada\nAdmin", PASSWORD), "display_name"),
        (("ada@example.org", "Ada\x00", PASSWORD), "display_name"),
        (("ada@example.org", "\u202enimdA", PASSWORD), "display_name"),
        (("ada@example.org", "Ada", "short"), "password"),
        (("ada@example.org", "Ada", ""), "password"),
        (("ada@example.org", "Ada", "p" * 201), "password"),
        (("ada@example.org", "Ada", PASSWORD, "superuser"), "role"),
        (("ada@example.org", "Ada", PASSWORD, "member", "Mars/Base"), "timezone"),
    ],
)
def test_create_user_refuses_bad_fields(app, args, field):
    with pytest.raises(ValidationFailed) as exc_info:
        services.create_user(*args)
    assert field in exc_info.value.field_errors
    assert exc_info.value.message
    assert user_count() == 0


def test_create_user_keeps_a_valid_timezone(app, fast_hashing):
    user = services.create_user("ada@example.org", "Ada", PASSWORD, timezone=" Europe/Rome ")
    assert user.timezone == "Europe/Rome"


def test_register_makes_members_and_drops_a_bogus_timezone(app, fast_hashing):
    good = services.register("a@example.org", "A", PASSWORD, "America/Chicago")
    bogus = services.register("b@example.org", "B", PASSWORD, "Not/AZone")
    assert (good.role, good.timezone) == ("member", "America/Chicago")
    assert (bogus.role, bogus.timezone) == ("member", None)


# --- authenticate -----------------------------------------------------------------------------


@pytest.fixture
def ada(make_user) -> User:
    return make_user(email="ada@example.org", password_hash=FAST_HASH)


def test_authenticate_returns_the_user(ada):
    assert services.authenticate(" ADA@example.org", PASSWORD, "192.0.2.1") == ada


@pytest.mark.parametrize(
    ("email", "password"),
    [("ada@example.org", "wrong"), ("ada@example.org", ""), ("ghost@example.org", PASSWORD)],
)
def test_authenticate_refuses_and_records_a_failure(ada, email, password):
    with pytest.raises(ValidationFailed) as exc_info:
        services.authenticate(email, password, "192.0.2.1")
    assert exc_info.value.field_errors == {"password": "Wrong email or password."}
    assert failures(email=email, address="192.0.2.1") == 1


def test_authenticate_after_ten_failures_on_the_account_refuses_even_the_right_password(ada):
    add_failures(10, email=ada.email, address="198.51.100.1")
    with pytest.raises(TooManyAttempts) as exc_info:
        services.authenticate(ada.email, PASSWORD, "203.0.113.1")
    assert 1 <= exc_info.value.retry_after <= 15 * 60
    assert exc_info.value.status == 429


def test_authenticate_allows_the_tenth_attempt(ada):
    add_failures(9, email=ada.email)
    assert services.authenticate(ada.email, PASSWORD, "203.0.113.1") == ada


def test_authenticate_after_ten_failures_from_the_address_refuses_every_email(ada):
    add_failures(10, email="someone@example.org", address="192.0.2.50")
    with pytest.raises(TooManyAttempts):
        services.authenticate(ada.email, PASSWORD, "192.0.2.50")
    assert services.authenticate(ada.email, PASSWORD, "192.0.2.51") == ada


def test_retry_after_counts_down_from_the_oldest_failure(ada):
    add_failures(10, email=ada.email, ago=timedelta(minutes=10))
    with pytest.raises(TooManyAttempts) as exc_info:
        services.authenticate(ada.email, PASSWORD, "203.0.113.1")
    assert 4 * 60 <= exc_info.value.retry_after <= 5 * 60 + 1


def test_old_failures_are_forgotten(ada):
    add_failures(10, email=ada.email, ago=timedelta(minutes=15, seconds=5))
    assert services.authenticate(ada.email, PASSWORD, "203.0.113.1") == ada


def test_success_clears_the_accounts_failures_but_not_other_emails(ada):
    add_failures(5, email=ada.email, address="192.0.2.9")
    add_failures(4, email="other@example.org", address="192.0.2.9")
    services.authenticate(ada.email, PASSWORD, "192.0.2.9")
    assert failures(email=ada.email) == 0
    assert failures(email="other@example.org") == 4


def test_a_limited_attempt_is_not_itself_recorded(ada):
    add_failures(10, email=ada.email)
    with pytest.raises(TooManyAttempts):
        services.authenticate(ada.email, "wrong", "203.0.113.1")
    assert failures(email=ada.email) == 10


# --- profile, passwords -----------------------------------------------------------------------


def test_update_profile_saves_everything(ada):
    services.update_profile(ada, " Ada L. ", "  Hi!\nI do ML.  ", "Asia/Kolkata")
    db.session.expire_all()
    user = db.session.get(User, ada.id)
    assert (user.display_name, user.intro, user.timezone) == (
        "Ada L.",
        "Hi!\nI do ML.",
        "Asia/Kolkata",
    )


@pytest.mark.parametrize(
    ("name", "intro", "timezone", "field"),
    [
        ("New", "new", "Nowhere/Land", "timezone"),
        ("New", "x" * 1001, "UTC", "intro"),
        ("New", "escape \x1b[2J", "UTC", "intro"),
        ("", "new", "UTC", "display_name"),
        ("n" * 81, "new", "UTC", "display_name"),
    ],
)
def test_update_profile_changes_nothing_when_a_field_is_bad(ada, name, intro, timezone, field):
    ada.intro, ada.timezone = "old", "Europe/Paris"
    db.session.commit()
    before = (ada.display_name, ada.intro, ada.timezone)
    with pytest.raises(ValidationFailed) as exc_info:
        services.update_profile(ada, name, intro, timezone)
    assert field in exc_info.value.field_errors
    db.session.expire_all()
    user = db.session.get(User, ada.id)
    assert (user.display_name, user.intro, user.timezone) == before


def test_change_password(ada, fast_hashing):
    with pytest.raises(ValidationFailed) as exc_info:
        services.change_password(ada, "wrong", "new password 1")
    assert field_of(exc_info) == {"current_password"}
    assert failures(email=ada.email) == 1
    with pytest.raises(ValidationFailed) as exc_info:
        services.change_password(ada, PASSWORD, "short")
    assert field_of(exc_info) == {"new_password"}
    services.change_password(ada, PASSWORD, "new password 1")
    db.session.expire_all()
    assert db.session.get(User, ada.id).check_password("new password 1")


def test_reset_tokens_work_once(ada, fast_hashing):
    token = services.make_reset_token(ada)
    assert services.user_for_reset_token(token) == ada
    services.reset_password(token, "new password 1")
    assert ada.check_password("new password 1")
    with pytest.raises(NotFound, match="already used"):
        services.user_for_reset_token(token)
    with pytest.raises(NotFound):
        services.reset_password(token, "new password 2")
    assert ada.check_password("new password 1")


def test_a_reset_token_for_another_purpose_is_refused(app, ada):
    from itsdangerous import URLSafeTimedSerializer

    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="calendar").dumps(
        {"uid": ada.id, "pw": ada.password_fingerprint}
    )
    with pytest.raises(NotFound, match="not valid"):
        services.user_for_reset_token(token)


# --- roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("start", ROLES)
def test_an_admin_sets_any_role(make_user, role, start):
    admin = make_user(role="admin")
    target = make_user(role=start)
    assert services.set_role(admin, target.id, role).role == role
    db.session.expire_all()
    assert db.session.get(User, target.id).role == role


@pytest.mark.parametrize("actor_role", ["member", "host"])
def test_only_admins_set_roles(make_user, actor_role):
    actor = make_user(role=actor_role)
    target = make_user()
    with pytest.raises(PermissionDenied):
        services.set_role(actor, target.id, "admin")
    with pytest.raises(PermissionDenied):
        services.set_role(actor, actor.id, "admin")
    db.session.expire_all()
    assert db.session.get(User, target.id).role == "member"
    assert db.session.get(User, actor.id).role == actor_role


@pytest.mark.parametrize("user_id", [999, 0, -1, 2**31, 2**80])
def test_set_role_of_an_unknown_user_is_not_found(make_user, user_id):
    admin = make_user(role="admin")
    with pytest.raises(NotFound):
        services.set_role(admin, user_id, "host")


@pytest.mark.parametrize("role", ["", "root", "Admin", "admin ", "host;drop table users"])
def test_set_role_refuses_an_unknown_role(make_user, role):
    admin = make_user(role="admin")
    target = make_user(role="host")
    with pytest.raises(ValidationFailed) as exc_info:
        services.set_role(admin, target.id, role)
    assert field_of(exc_info) == {"role"}
    db.session.expire_all()
    assert db.session.get(User, target.id).role == "host"


@pytest.mark.parametrize("role", ["member", "host"])
def test_an_admin_cannot_demote_themselves(make_user, role):
    admin = make_user(role="admin")
    with pytest.raises(ValidationFailed, match="your own admin role"):
        services.set_role(admin, admin.id, role)
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == "admin"
    assert services.set_role(admin, admin.id, "admin").role == "admin"  # a no-op is fine


def test_list_users_is_sorted_by_name(make_user):
    make_user(display_name="Zed")
    make_user(display_name="Amy")
    assert [u.display_name for u in services.list_users()] == ["Amy", "Zed"]
