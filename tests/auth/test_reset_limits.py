"""Password-reset requests are limited: mails per account, requests per address."""

from __future__ import annotations

import email
import email.policy
import html
import re
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from mlc_events.auth import services
from mlc_events.auth.models import ResetRequest, User
from mlc_events.database import utcnow
from mlc_events.errors import TooManyAttempts
from mlc_events.extensions import db
from mlc_events.outbox.models import OutgoingMail
from tests.auth.conftest import FAST_HASH, NEW_PASSWORD
from tests.conftest import both_backends, read_outbox
from tests.events.test_concurrency import run_at_once

pytestmark = pytest.mark.usefixtures("fast_hashing")
TOO_MANY = "Too many reset requests from your network. Wait a few minutes and try again."
NEUTRAL = "If an account uses that email, we sent it a link to choose a new password."


@pytest.fixture
def ada(make_user) -> User:
    return make_user(email="ada@example.org", display_name="Ada", password_hash=FAST_HASH)


def mails_to(address: str) -> list[email.message.EmailMessage]:
    """Mails delivered to ``address`` (read from the outbox, as the other reset tests do)."""
    messages = [
        email.message_from_string(raw, policy=email.policy.default)
        for raw in read_outbox(Path(current_app.config["OUTBOX_DIR"]))
    ]
    return [m for m in messages if m["To"] == address]


def queued_mails() -> int:
    return db.session.scalar(select(func.count()).select_from(OutgoingMail))


def requests(**where) -> int:
    query = select(func.count()).select_from(ResetRequest).filter_by(**where)
    return db.session.scalar(query)


def age_requests(by: timedelta) -> None:
    """Move every stored request back in time, as if ``by`` had passed."""
    for row in db.session.scalars(select(ResetRequest)):
        row.at -= by
    db.session.commit()


def add_requests(n: int, address: str, ago: timedelta = timedelta(0)) -> None:
    """Store ``n`` requests from ``address`` for unknown emails, made ``ago``."""
    at = utcnow() - ago
    db.session.add_all(
        ResetRequest(email=f"ghost{i}@example.org", address=address, at=at) for i in range(n)
    )
    db.session.commit()


# --- services -----------------------------------------------------------------------------------


@both_backends
def test_three_mails_an_hour_then_requests_for_the_account_mail_nothing(app, ada):
    for n in range(3):  # from three addresses: the account's own count trips
        services.request_password_reset("ada@example.org", f"192.0.2.{n}")
    assert len(mails_to(ada.email)) == 3
    services.request_password_reset("ada@example.org", "198.51.100.1")  # no error either
    services.request_password_reset(" ADA@example.org", "198.51.100.2")  # any spelling
    assert len(mails_to(ada.email)) == 3
    assert queued_mails() == 3
    assert requests(email=ada.email, mailed=True) == 3
    assert requests(email=ada.email, mailed=False) == 2


@both_backends
def test_the_mail_limit_is_per_account(app, ada, make_user):
    grace = make_user(email="grace@example.org", password_hash=FAST_HASH)
    for _ in range(3):
        services.request_password_reset(ada.email, "192.0.2.1")
    services.request_password_reset(grace.email, "192.0.2.1")
    assert len(mails_to(grace.email)) == 1
    assert len(mails_to(ada.email)) == 3


@both_backends
def test_the_account_mails_again_after_the_mail_window(app, ada):
    for _ in range(3):
        services.request_password_reset(ada.email, "192.0.2.1")
    age_requests(timedelta(minutes=59))
    services.request_password_reset(ada.email, "192.0.2.1")
    assert len(mails_to(ada.email)) == 3  # still inside the hour
    age_requests(timedelta(minutes=1, seconds=5))
    services.request_password_reset(ada.email, "192.0.2.1")
    assert len(mails_to(ada.email)) == 4


@both_backends
def test_the_limits_follow_the_config(app, ada):
    app.config.update(PASSWORD_RESET_MAIL_LIMIT=1, PASSWORD_RESET_REQUEST_LIMIT=2)
    services.request_password_reset(ada.email, "192.0.2.1")
    services.request_password_reset(ada.email, "192.0.2.1")
    assert len(mails_to(ada.email)) == 1
    with pytest.raises(TooManyAttempts):
        services.request_password_reset(ada.email, "192.0.2.1")
    app.config.update(
        PASSWORD_RESET_MAIL_WINDOW=timedelta(0), PASSWORD_RESET_REQUEST_WINDOW=timedelta(0)
    )
    services.request_password_reset(ada.email, "192.0.2.1")
    assert len(mails_to(ada.email)) == 2


@both_backends
def test_requests_for_unknown_emails_count_towards_the_address_limit(app, ada):
    for n in range(10):
        services.request_password_reset(f"ghost{n}@example.org", "192.0.2.7")
    assert requests(address="192.0.2.7") == 10
    with pytest.raises(TooManyAttempts) as exc_info:
        services.request_password_reset(ada.email, "192.0.2.7")
    assert exc_info.value.status == 429
    assert exc_info.value.message == TOO_MANY
    assert 1 <= exc_info.value.retry_after <= 15 * 60
    assert mails_to(ada.email) == []
    # The limited request is not itself recorded (it would stretch the window forever) ...
    assert requests(address="192.0.2.7") == 10
    # ... and other addresses are not affected.
    services.request_password_reset(ada.email, "192.0.2.8")
    assert len(mails_to(ada.email)) == 1


@both_backends
def test_the_tenth_request_from_an_address_is_still_allowed(app, ada):
    add_requests(9, "192.0.2.7")
    services.request_password_reset(ada.email, "192.0.2.7")
    assert len(mails_to(ada.email)) == 1


@both_backends
def test_retry_after_counts_down_from_the_oldest_request(app, ada):
    add_requests(5, "192.0.2.7", ago=timedelta(minutes=10))
    add_requests(5, "192.0.2.7", ago=timedelta(minutes=2))
    with pytest.raises(TooManyAttempts) as exc_info:
        services.request_password_reset(ada.email, "192.0.2.7")
    assert 295 <= exc_info.value.retry_after <= 300


@both_backends
def test_the_address_may_ask_again_after_the_request_window(app, ada):
    add_requests(10, "192.0.2.7", ago=timedelta(minutes=15, seconds=5))
    services.request_password_reset(ada.email, "192.0.2.7")
    assert len(mails_to(ada.email)) == 1


@both_backends
def test_requests_older_than_both_windows_are_pruned(app, ada):
    add_requests(4, "192.0.2.7", ago=timedelta(hours=1, minutes=1))
    add_requests(2, "192.0.2.7", ago=timedelta(minutes=30))  # still count for the account
    services.request_password_reset(ada.email, "192.0.2.9")
    assert requests(address="192.0.2.7") == 2
    assert requests() == 3


def ask_at_once(app, asks: list[tuple[str, str]]) -> list[BaseException]:
    """Run ``request_password_reset(email, address)`` for each pair at the same moment."""
    return run_at_once(
        app, [partial(services.request_password_reset, email, address) for email, address in asks]
    )


@both_backends
def test_requests_at_once_mail_the_account_at_most_its_limit(app, ada):
    """Eight requests racing for one account: each counts the mails the others committed."""
    address = ada.email
    errors = ask_at_once(app, [(address, f"192.0.2.{n}") for n in range(8)])
    assert errors == []
    assert requests(email=address) == 8
    assert requests(email=address, mailed=True) == 3
    assert queued_mails() == 3


@both_backends
def test_requests_at_once_from_one_address_stay_within_its_limit(app, ada):
    """Fifteen requests from one address at once (for other emails each): ten go through."""
    asks = [(f"someone{n}@example.org", "198.51.100.7") for n in range(15)]
    errors = ask_at_once(app, asks)
    assert len(errors) == 5 and all(isinstance(e, TooManyAttempts) for e in errors), errors
    assert requests(address="198.51.100.7") == 10


# --- views --------------------------------------------------------------------------------------


def request_reset(client, user_email: str, address: str = "203.0.113.1"):
    return client.post("/auth/reset", {"email": user_email}, environ_base={"REMOTE_ADDR": address})


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def without_csrf(response) -> str:
    """The page with its CSRF token (signed with the time, so never the same) blanked out."""
    body = response.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body)[1]
    return body.replace(token, "TOKEN")


@both_backends
def test_the_fourth_request_in_an_hour_mails_nothing_and_looks_the_same(
    client, new_client, ada, outbox
):
    answers = []
    for n in range(4):
        browser = new_client()
        response = request_reset(browser, "Ada@example.org", f"203.0.113.{n}")
        login_page = browser.get(response.headers["Location"])
        answers.append((response, login_page))
    assert len(mails_to(ada.email)) == 3
    [(normal, normal_page), (limited, limited_page)] = answers[2:]
    assert limited.status_code == normal.status_code == 303
    assert limited.headers["Location"] == normal.headers["Location"] == "/auth/login"
    assert limited.get_data() == normal.get_data()
    assert NEUTRAL in text(limited_page)
    assert without_csrf(limited_page) == without_csrf(normal_page)
    assert len(read_outbox(outbox)) == 3


@both_backends
def test_the_11th_request_from_an_address_is_refused_with_retry_after(
    client, new_client, ada, outbox
):
    for n in range(10):  # unknown emails count too
        response = request_reset(client, f"ghost{n}@example.org", "192.0.2.7")
        assert response.status_code == 303, n
    response = request_reset(new_client(), ada.email, "192.0.2.7")
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 15 * 60
    body = text(response)
    assert TOO_MANY in body
    assert 'name="email"' in body and f'value="{ada.email}"' in body  # the form, filled in
    assert read_outbox(outbox) == []
    # Another network is served as usual.
    assert request_reset(new_client(), ada.email, "192.0.2.8").status_code == 303
    assert len(mails_to(ada.email)) == 1


def test_the_address_is_served_again_once_the_window_passes(client, ada):
    for n in range(10):
        request_reset(client, f"ghost{n}@example.org", "192.0.2.7")
    assert request_reset(client, ada.email, "192.0.2.7").status_code == 429
    age_requests(timedelta(minutes=15, seconds=1))
    assert request_reset(client, ada.email, "192.0.2.7").status_code == 303
    assert len(mails_to(ada.email)) == 1


def test_a_bad_email_is_not_counted(client):
    response = request_reset(client, "not an email", "192.0.2.7")
    assert response.status_code == 422
    assert requests() == 0


def test_a_reset_still_works_after_the_account_hit_its_limit(client, new_client, ada):
    for n in range(5):
        assert request_reset(new_client(), ada.email, f"203.0.113.{n}").status_code == 303
    messages = mails_to(ada.email)
    assert len(messages) == 3
    link = re.search(r"http://mlc\.test(/auth/reset/[A-Za-z0-9_.\-]+)", messages[-1].get_content())
    response = client.post(link[1], {"password": NEW_PASSWORD})
    assert response.status_code == 303
    db.session.refresh(ada)
    assert ada.check_password(NEW_PASSWORD)
    response = new_client().post("/auth/login", {"email": ada.email, "password": NEW_PASSWORD})
    assert response.status_code == 303
