"""Accounts over HTTP: register, sign in and out, the failure limit, profile, password resets."""

from __future__ import annotations

import email
import email.policy
import html
import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from mlc_events.auth.models import LoginFailure, User
from mlc_events.database import utcnow
from mlc_events.extensions import db
from tests.auth.conftest import FAST_HASH, NEW_PASSWORD
from tests.conftest import PASSWORD, both_backends, read_outbox

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def make_user(make_user):
    """conftest's factory, with the fast hash for the shared test password."""

    def make(**kw):
        if "password" not in kw:
            kw.setdefault("password_hash", FAST_HASH)
        return make_user(**kw)

    return make


def field_error(response, field: str) -> str | None:
    """The message shown beside ``field`` (the macro's ``<p id="FIELD-error">``)."""
    body = response.get_data(as_text=True)
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', body)
    return html.unescape(match[1]) if match else None


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def users_with(address: str) -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.email == address))


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def register_form(**overrides) -> dict:
    form = {"email": "new@example.org", "display_name": "New Person", "password": PASSWORD}
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def fail_login(client, address: str, user_email: str = "nobody@example.org"):
    return client.post(
        "/auth/login",
        {"email": user_email, "password": "wrong password"},
        environ_base={"REMOTE_ADDR": address},
    )


def good_login(client, user, address: str):
    return client.post(
        "/auth/login",
        {"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": address},
    )


# --- register ---------------------------------------------------------------------------------


@both_backends
def test_register_creates_a_member_and_signs_them_in(client):
    response = client.post("/auth/register", register_form(email="  New@Example.ORG "))
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert user is not None
    assert (user.display_name, user.role) == ("New Person", "member")
    assert user.password_hash != PASSWORD and user.check_password(PASSWORD)
    assert "Welcome, New Person" in text(client.get("/"))  # the flash, before any other page
    assert signed_in(client)


def test_register_keeps_unicode_names(client):
    response = client.post("/auth/register", register_form(display_name="Zoë Ağaoğlu 李 🚀"))
    assert response.status_code == 303
    assert db.session.scalar(select(User.display_name)) == "Zoë Ağaoğlu 李 🚀"


def test_register_escapes_markup_in_the_name(client):
    name = '<img src=x onerror="alert(1)">'
    assert client.post("/auth/register", register_form(display_name=name)).status_code == 303
    body = client.get("/account").get_data(as_text=True)
    assert "<img src=x" not in body
    assert "&lt;img src=x" in body


@pytest.mark.parametrize(
    "spelling", ["ada@example.org", "ADA@Example.ORG", "  Ada@example.org  ", "aDa@EXAMPLE.org"]
)
@both_backends
def test_register_with_a_taken_email_in_any_case_is_refused(client, make_user, spelling):
    make_user(email="ada@example.org", display_name="Ada")
    response = client.post("/auth/register", register_form(email=spelling))
    assert response.status_code == 422
    assert "already exists" in field_error(response, "email")
    assert users_with("ada@example.org") == 1
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert not signed_in(client)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (register_form(email=None), "email", "Enter your email address."),
        (register_form(email=""), "email", "Enter your email address."),
        (register_form(email="not-an-email"), "email", "Enter a valid email address."),
        (register_form(email="a@b@example.org"), "email", "Enter a valid email address."),
        (register_form(email="x" * 300 + "@example.org"), "email", "at most 254"),
        (register_form(display_name=None), "display_name", "Enter the name people will see."),
        (register_form(display_name="   "), "display_name", "Enter the name people will see."),
        (register_form(display_name="n" * 81), "display_name", "Use at most 80 characters."),
        (register_form(display_name="n" * 200_000), "display_name", "Use at most 80 characters."),
        (register_form(display_name="Eve\u2028Admin"), "display_name", "letters, digits"),
        (register_form(display_name="Eve\x1b[31m"), "display_name", "letters, digits"),
        (register_form(password=None), "password", "Choose a password."),
        (register_form(password="short"), "password", "Use 8 to 200 characters."),
        (register_form(password="1234567"), "password", "Use 8 to 200 characters."),
        (register_form(password="p" * 201), "password", "Use 8 to 200 characters."),
    ],
)
def test_register_with_a_missing_or_bad_field_says_what_is_wrong(client, form, field, message):
    response = client.post("/auth/register", form)
    assert response.status_code == 422
    assert message in (field_error(response, field) or "")
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert not signed_in(client)


def test_register_accepts_a_password_of_exactly_eight_characters(client):
    assert client.post("/auth/register", register_form(password="12345678")).status_code == 303


def test_register_stores_a_valid_browser_timezone(client):
    response = client.post("/auth/register", register_form(timezone="Asia/Tokyo"))
    assert response.status_code == 303
    assert db.session.scalar(select(User.timezone)) == "Asia/Tokyo"


@pytest.mark.parametrize("bogus", ["Mars/Olympus_Mons", "../../etc/passwd", "x" * 5000, " "])
def test_register_ignores_a_bogus_browser_timezone(client, bogus):
    response = client.post("/auth/register", register_form(timezone=bogus))
    assert response.status_code == 303
    assert db.session.scalar(select(User.timezone)) is None


UNSAFE_NEXT = [
    "//evil.com",
    "///evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "https://evil.com",
    "http://evil.com/events/",
    "HTTPS://evil.com",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "evil.com",
    " //evil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    "/\r\n/evil.com",
    "/\x7f/evil.com",
    "/\x1b/evil.com",
    "/\u2028/evil.com",
]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_register_ignores_an_unsafe_next(client, target):
    response = client.post("/auth/register", register_form(), query_string={"next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_login_ignores_an_unsafe_next(client, make_user, target):
    user = make_user()
    response = client.post(
        "/auth/login", {"email": user.email, "password": PASSWORD}, query_string={"next": target}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_register_and_login_follow_a_same_site_next(client, make_user):
    response = client.post(
        "/auth/register", register_form(), query_string={"next": "/events/?kind=talk"}
    )
    assert response.headers["Location"] == "/events/?kind=talk"
    client.logout()
    user = make_user()
    response = client.post(
        "/auth/login",
        {"email": user.email, "password": PASSWORD},
        query_string={"next": "/events/?kind=talk"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/events/?kind=talk"


def test_the_login_page_passes_next_on_to_register(client):
    body = client.get("/auth/login?next=/events/").get_data(as_text=True)
    assert 'href="/auth/register?next=/events/"' in body or "next=%2Fevents%2F" in body


# --- sign in ----------------------------------------------------------------------------------


def test_login_with_the_right_password_signs_in(client, make_user):
    user = make_user(email="ada@example.org")
    response = client.post("/auth/login", {"email": "ADA@example.org ", "password": PASSWORD})
    assert response.status_code == 303
    assert signed_in(client)
    assert user.display_name in text(client.get("/"))


def test_login_with_a_wrong_password_is_refused_with_a_message(client, make_user):
    user = make_user()
    response = client.post("/auth/login", {"email": user.email, "password": "not the password"})
    assert response.status_code == 422
    assert field_error(response, "password") == "Wrong email or password."
    assert not signed_in(client)


def test_login_with_an_unknown_email_says_the_same(client):
    response = client.post("/auth/login", {"email": "ghost@example.org", "password": PASSWORD})
    assert response.status_code == 422
    assert field_error(response, "password") == "Wrong email or password."


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"password": PASSWORD}, "email", "Enter your email address."),
        ({"email": "nope", "password": PASSWORD}, "email", "Enter a valid email address."),
        ({"email": "a@example.org"}, "password", "Enter your password."),
    ],
)
def test_login_with_a_missing_field_says_which(client, form, field, message):
    response = client.post("/auth/login", form)
    assert response.status_code == 422
    assert field_error(response, field) == message


def _set_cookies(response, name: str) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]


def test_remember_me_sets_an_httponly_cookie_for_at_most_30_days(client, make_user):
    user = make_user()
    before = datetime.now(UTC)
    response = client.post(
        "/auth/login", {"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 303
    [cookie] = _set_cookies(response, "remember_token")
    attributes = {
        part.split("=", 1)[0].strip().lower(): part.split("=", 1)[-1].strip()
        for part in cookie.split(";")[1:]
    }
    assert "httponly" in attributes
    assert attributes.get("samesite", "").lower() == "lax"
    expires = parsedate_to_datetime(attributes["expires"])
    assert before + timedelta(days=1) < expires <= before + timedelta(days=30, minutes=1)
    if "max-age" in attributes:
        assert int(attributes["max-age"]) <= 30 * 24 * 3600


def test_the_remember_cookie_outlives_the_session_until_sign_out(client, make_user):
    user = make_user()
    client.post("/auth/login", {"email": user.email, "password": PASSWORD, "remember": "y"})
    client.raw.delete_cookie("session")  # the browser was closed
    client._token = None  # the CSRF token lived in that session
    assert signed_in(client)
    assert client.post("/auth/logout").status_code == 303
    assert client.raw.get_cookie("remember_token") is None
    client.raw.delete_cookie("session")
    assert not signed_in(client)


def test_without_remember_me_there_is_no_remember_cookie(client, make_user):
    user = make_user()
    response = client.post("/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    assert _set_cookies(response, "remember_token") == []
    [session] = _set_cookies(response, "session")
    assert "HttpOnly" in session


@both_backends
def test_the_11th_failed_login_for_one_account_is_refused_with_retry_after(
    client, new_client, make_user
):
    user = make_user()
    for n in range(10):  # from ten different addresses: the account's own count trips
        response = fail_login(client, f"10.0.0.{n}", user.email)
        assert response.status_code == 422, n
    response = fail_login(client, "10.0.0.99", user.email)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-ins" in text(response)
    # Even the right password, from a fresh browser and address, waits out the window.
    other = new_client()
    response = good_login(other, user, "10.0.1.1")
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert not signed_in(other)


@both_backends
def test_the_11th_failed_login_from_one_address_is_refused_whatever_the_email(
    client, new_client, make_user
):
    user = make_user()
    for n in range(10):
        response = fail_login(client, "192.0.2.7", f"guess{n}@example.org")
        assert response.status_code == 422, n
    response = fail_login(client, "192.0.2.7", "guess-eleven@example.org")
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 15 * 60
    # The address is locked even for a real account with its right password ...
    response = good_login(new_client(), user, "192.0.2.7")
    assert response.status_code == 429
    # ... while the same account signs in from elsewhere.
    assert good_login(new_client(), user, "198.51.100.1").status_code == 303


@both_backends
def test_a_successful_login_clears_the_accounts_failures(client, new_client, make_user):
    user = make_user()
    for n in range(9):
        assert fail_login(client, f"10.1.0.{n}", user.email).status_code == 422
    assert good_login(new_client(), user, "10.1.1.1").status_code == 303
    count = select(func.count()).select_from(LoginFailure).where(LoginFailure.email == user.email)
    assert db.session.scalar(count) == 0
    # Nine more: 18 in the window had the success not cleared the first nine.
    for n in range(9):
        assert fail_login(client, f"10.1.2.{n}", user.email).status_code == 422
    assert good_login(new_client(), user, "10.1.3.1").status_code == 303


def test_failures_older_than_the_window_do_not_count(client, make_user):
    user = make_user()
    long_ago = utcnow() - timedelta(minutes=16)
    for _ in range(10):
        db.session.add(LoginFailure(email=user.email, address="127.0.0.1", at=long_ago))
    db.session.commit()
    assert good_login(client, user, "127.0.0.1").status_code == 303


# --- sign out, CSRF ---------------------------------------------------------------------------


def test_logout_by_get_is_not_allowed(client, make_user):
    client.login(make_user())
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "POST" in response.headers.get("Allow", "")
    assert "not accept" in text(response) or "not allowed" in text(response)
    assert signed_in(client)


def test_logout_by_post_signs_out(client, make_user):
    client.login(make_user())
    response = client.post("/auth/logout")
    assert response.status_code == 303
    assert not signed_in(client)


def test_logout_without_a_csrf_token_changes_nothing(client, make_user):
    client.login(make_user())
    response = client.post("/auth/logout", csrf=False)
    assert response.status_code == 400
    assert "Reload the page" in text(response)
    assert signed_in(client)


def test_logout_with_a_forged_csrf_token_changes_nothing(client, make_user):
    client.login(make_user())
    response = client.post("/auth/logout", {"csrf_token": "forged"}, csrf=False)
    assert response.status_code == 400
    assert signed_in(client)


def test_an_htmx_post_without_a_csrf_token_asks_for_a_refresh(client, make_user):
    client.login(make_user())
    response = client.post("/auth/logout", htmx=True, csrf=False)
    assert response.status_code == 400
    assert response.headers.get("HX-Refresh") == "true"
    assert signed_in(client)


def test_an_htmx_post_with_the_header_token_works(client, make_user):
    client.login(make_user())
    response = client.post("/auth/logout", htmx=True)
    assert response.status_code in (200, 204, 303)
    assert not signed_in(client)


def test_register_without_a_csrf_token_creates_nobody(client):
    response = client.post("/auth/register", register_form(), csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_login_without_a_csrf_token_does_not_sign_in(client, make_user):
    user = make_user()
    response = client.post("/auth/login", {"email": user.email, "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert not signed_in(client)


def test_a_csrf_token_from_another_session_is_refused(client, new_client, make_user):
    stolen = new_client().csrf()
    client.login(make_user())
    response = client.post("/auth/logout", {"csrf_token": stolen}, csrf=False)
    assert response.status_code == 400
    assert signed_in(client)


# --- account ----------------------------------------------------------------------------------


def test_the_account_page_needs_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    assert parse_qs(location.query) == {"next": ["/account"]}


def test_the_account_page_answers_htmx_with_hx_redirect(client):
    response = client.get("/account", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert urlsplit(response.headers["HX-Redirect"]).path == "/auth/login"


def test_signing_in_from_the_login_redirect_comes_back_to_the_account(client, make_user):
    user = make_user()
    login_url = client.get("/account").headers["Location"]
    response = client.post(login_url, {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account"


def test_a_profile_update_saves_name_intro_and_timezone(client, make_user):
    user = make_user(display_name="Old Name")
    client.login(user)
    response = client.post(
        "/account",
        {"display_name": " Ada L. ", "intro": "I like *attention*.", "timezone": "America/Lima"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/account"
    db.session.refresh(user)
    assert (user.display_name, user.intro, user.timezone) == (
        "Ada L.",
        "I like *attention*.",
        "America/Lima",
    )
    page = text(client.get("/account"))
    assert "Your profile was saved." in page
    assert 'value="America/Lima" selected' in page or 'selected value="America/Lima"' in page


def test_an_empty_timezone_means_the_browsers(client, make_user):
    user = make_user(timezone="Europe/Paris")
    client.login(user)
    response = client.post("/account", {"display_name": "A", "intro": "", "timezone": ""})
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.timezone is None


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Choose a timezone from the list"),
        ({"timezone": "x" * 10_000}, "timezone", "Choose a timezone from the list"),
        ({"intro": "i" * 1001}, "intro", "Use at most 1000 characters."),
        ({"intro": "bell\x07"}, "intro", "invisible control characters"),
        ({"display_name": ""}, "display_name", "Enter the name people will see."),
        ({"display_name": "n" * 81}, "display_name", "Use at most 80 characters."),
    ],
)
@both_backends
def test_a_bad_profile_field_is_refused_and_nothing_is_saved(
    client, make_user, form, field, message
):
    user = make_user(display_name="Old Name", intro="old intro", timezone="Europe/Paris")
    client.login(user)
    data = {"display_name": "New Name", "intro": "new intro", "timezone": "Asia/Tokyo"}
    response = client.post("/account", {**data, **form})
    assert response.status_code == 422
    assert message in (field_error(response, field) or "")
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.display_name, user.intro, user.timezone) == (
        "Old Name",
        "old intro",
        "Europe/Paris",
    )


def test_a_profile_intro_keeps_line_breaks(client, make_user):
    user = make_user()
    client.login(user)
    response = client.post(
        "/account", {"display_name": "A", "intro": "line one\r\nline\ttwo", "timezone": ""}
    )
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.intro == "line one\r\nline\ttwo"


def test_a_profile_update_without_csrf_saves_nothing(client, make_user):
    user = make_user(display_name="Old Name")
    client.login(user)
    response = client.post(
        "/account", {"display_name": "Hacked", "intro": "", "timezone": ""}, csrf=False
    )
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.display_name == "Old Name"


def test_a_password_change_needs_the_current_password(client, make_user):
    user = make_user()
    client.login(user)
    response = client.post(
        "/account", {"current_password": "not my password", "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 422
    assert field_error(response, "current_password") == "That is not your current password."
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_a_password_change_with_a_short_new_password_is_refused(client, make_user):
    user = make_user()
    client.login(user)
    response = client.post("/account", {"current_password": PASSWORD, "new_password": "short"})
    assert response.status_code == 422
    assert "Use 8 to 200 characters." in field_error(response, "new_password")
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_a_password_change_works(client, new_client, make_user):
    user = make_user()
    client.login(user)
    response = client.post("/account", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 303
    assert "Your password was changed." in text(client.get("/account"))
    fresh = new_client()
    old = fresh.post("/auth/login", {"email": user.email, "password": PASSWORD})
    assert old.status_code == 422
    new = fresh.post("/auth/login", {"email": user.email, "password": NEW_PASSWORD})
    assert new.status_code == 303


def test_wrong_current_passwords_count_as_failed_sign_ins(client, make_user):
    user = make_user()
    client.login(user)
    for _ in range(10):
        db.session.add(LoginFailure(email=user.email, address="203.0.113.5"))
    db.session.commit()
    response = client.post("/account", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


# --- password reset ---------------------------------------------------------------------------


def mail_bodies(outbox) -> list[email.message.EmailMessage]:
    return [email.message_from_string(m, policy=email.policy.default) for m in read_outbox(outbox)]


def reset_path(message) -> str:
    body = message.get_content()
    match = re.search(r"http://mlc\.test(/auth/reset/[A-Za-z0-9_.\-]+)", body)
    assert match, body
    return match[1]


def request_reset(client, address: str):
    return client.post("/auth/reset", {"email": address})


def test_a_reset_request_mails_one_link(client, make_user, outbox):
    user = make_user(email="ada@example.org", display_name="Ada")
    response = request_reset(client, "Ada@Example.org")
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/login"
    [message] = mail_bodies(outbox)
    assert message["To"] == user.email
    assert "Reset" in message["Subject"]
    assert reset_path(message).startswith("/auth/reset/")


def test_a_reset_request_for_an_unknown_email_looks_the_same_and_sends_nothing(
    client, new_client, make_user, outbox
):
    make_user(email="ada@example.org")
    known = request_reset(new_client(), "ada@example.org")
    unknown = request_reset(client, "ghost@example.org")
    assert (unknown.status_code, unknown.headers["Location"]) == (
        known.status_code,
        known.headers["Location"],
    )
    assert "If an account uses that email" in text(client.get("/auth/login"))
    assert len(read_outbox(outbox)) == 1  # only the known one


def test_a_reset_request_with_a_bad_email_says_so(client, outbox):
    response = request_reset(client, "not an email")
    assert response.status_code == 422
    assert field_error(response, "email") == "Enter a valid email address."
    assert read_outbox(outbox) == []


@both_backends
def test_a_reset_link_works_once(client, new_client, make_user, outbox):
    user = make_user()
    request_reset(client, user.email)
    path = reset_path(mail_bodies(outbox)[0])
    page = client.get(path)
    assert page.status_code == 200
    assert user.email in text(page)
    response = client.post(path, {"password": NEW_PASSWORD})
    assert response.status_code == 303
    assert signed_in(client)
    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD)
    for again in (client.get(path), new_client().post(path, {"password": "another one!"})):
        assert again.status_code == 404
        assert "already used" in text(again)
    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD)


def test_a_reset_with_a_short_password_keeps_the_link_working(client, make_user, outbox):
    user = make_user()
    request_reset(client, user.email)
    path = reset_path(mail_bodies(outbox)[0])
    response = client.post(path, {"password": "short"})
    assert response.status_code == 422
    assert "Use 8 to 200 characters." in field_error(response, "password")
    assert client.get(path).status_code == 200


def test_a_password_change_voids_an_earlier_reset_link(client, make_user, outbox):
    user = make_user()
    request_reset(client, user.email)
    path = reset_path(mail_bodies(outbox)[0])
    client.login(user)
    client.post("/account", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert client.get(path).status_code == 404


class _TwoHoursAgo(TimestampSigner):
    """Signs as if the clock showed two hours ago."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 2 * 3600


def test_an_expired_reset_link_is_refused(client, app, make_user):
    user = make_user()
    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt="password-reset", signer=_TwoHoursAgo
    )
    token = serializer.dumps({"uid": user.id, "pw": user.password_fingerprint})
    for response in (client.get(f"/auth/reset/{token}"),
                     client.post(f"/auth/reset/{token}", {"password": NEW_PASSWORD})):  # fmt: skip
        assert response.status_code == 404
        assert "expired" in text(response)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_a_reset_link_older_than_the_configured_age_is_refused(client, app, make_user, outbox):
    user = make_user()
    request_reset(client, user.email)
    path = reset_path(mail_bodies(outbox)[0])
    assert client.get(path).status_code == 200
    app.config["PASSWORD_RESET_MAX_AGE"] = -1  # every link is already too old
    response = client.get(path)
    assert response.status_code == 404
    assert "expired" in text(response)


@pytest.mark.parametrize("how", ["flip", "truncate", "other-salt", "other-key", "no-user", "junk"])
def test_a_tampered_reset_link_is_refused(client, app, make_user, outbox, how):
    user = make_user()
    request_reset(client, user.email)
    path = reset_path(mail_bodies(outbox)[0])
    token = path.rsplit("/", 1)[1]
    payload = {"uid": user.id, "pw": user.password_fingerprint}
    key = app.config["SECRET_KEY"]
    token = {
        "flip": token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:],
        "truncate": token[:-5],
        "other-salt": URLSafeTimedSerializer(key, salt="something-else").dumps(payload),
        "other-key": URLSafeTimedSerializer("guessed", salt="password-reset").dumps(payload),
        "no-user": URLSafeTimedSerializer(key, salt="password-reset").dumps(
            {"uid": 999_999, "pw": "x"}
        ),
        "junk": "%E2%98%83" + "a" * 3000,
    }[how]
    response = client.post(f"/auth/reset/{token}", {"password": NEW_PASSWORD})
    assert response.status_code == 404
    assert "reset link" in text(response)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_a_reset_lifts_the_sign_in_lock(client, new_client, make_user, outbox):
    user = make_user()
    for _ in range(10):
        db.session.add(LoginFailure(email=user.email, address="198.51.100.9"))
    db.session.commit()
    request_reset(client, user.email)
    path = reset_path(mail_bodies(outbox)[0])
    assert client.post(path, {"password": NEW_PASSWORD}).status_code == 303
    fresh = new_client()
    response = fresh.post("/auth/login", {"email": user.email, "password": NEW_PASSWORD})
    assert response.status_code == 303


def test_changing_the_password_signs_out_other_devices(new_client, make_user):
    user = make_user()
    laptop, phone = new_client(), new_client()
    laptop.login(user)
    phone.login(user)
    assert phone.get("/account").status_code == 200
    response = laptop.post(
        "/account",
        {"current_password": PASSWORD, "new_password": "a brand new secret"},
    )
    assert response.status_code == 303
    assert laptop.get("/account").status_code == 200  # still signed in here
    assert phone.get("/account").status_code == 302  # signed out there
