"""Command line: ``users create`` and ``seed-demo``."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mlc_events.auth import services
from mlc_events.auth.models import User
from mlc_events.events.models import Event
from mlc_events.extensions import db
from tests.conftest import both_backends


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def create(runner, *args: str):
    return runner.invoke(args=["users", "create", *args])


def test_users_create_makes_a_host(runner):
    result = create(
        runner, "Hugo@Example.org", "--name", "Hugo Host", "--password", "hunter2hunter2",
        "--role", "host",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created host hugo@example.org" in result.output
    user = db.session.scalar(select(User).where(User.email == "hugo@example.org"))
    assert (user.display_name, user.role) == ("Hugo Host", "host")
    assert user.check_password("hunter2hunter2")


def test_users_create_defaults_to_member(runner):
    result = create(runner, "mia@example.org", "--name", "Mia", "--password", "long enough")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.role)) == "member"


@both_backends
def test_users_create_refuses_a_taken_email_in_another_case(runner, make_user):
    make_user(email="hugo@example.org", display_name="Original")
    result = create(
        runner, "HUGO@example.ORG", "--name", "Copy", "--password", "long enough", "--role", "admin"
    )
    assert result.exit_code != 0
    assert "Could not create HUGO@example.ORG" in result.output
    assert "already exists" in result.output
    assert "Traceback" not in result.output
    assert count(User) == 1
    assert db.session.scalar(select(User.role)) == "member"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not-an-email", "--name", "X", "--password", "long enough"], "EMAIL: Enter a valid"),
        (["x@example.org", "--name", " ", "--password", "long enough"], "--name: Enter the name"),
        (["x@example.org", "--name", "n" * 81, "--password", "long enough"], "--name: Use at most"),
        (["x@example.org", "--name", "X", "--password", "short"], "--password: Use at least 8"),
        (["x@example.org", "--name", "X", "--password", "long enough", "--role", "root"], "root"),
        (["x@example.org", "--password", "long enough"], "--name"),
        (["x@example.org", "--name", "X"], "--password"),
    ],
)
def test_users_create_explains_bad_input(runner, args, message):
    result = create(runner, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert count(User) == 0


@both_backends
def test_seed_demo_is_idempotent_and_creates_the_demo_logins(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    users, events = count(User), count(Event)
    assert users >= 3 and events >= 5
    for address in ("admin@example.org", "host@example.org", "member@example.org"):
        assert address in first.output
    assert "demo-password" in first.output

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert (count(User), count(Event)) == (users, events)
    assert "0 members and 0 events added" in second.output

    for address, role in [
        ("admin@example.org", "admin"),
        ("host@example.org", "host"),
        ("member@example.org", "member"),
    ]:
        user = services.authenticate(address, "demo-password", "127.0.0.1")
        assert user.role == role


def test_seed_demo_keeps_an_existing_account(runner, make_user):
    make_user(email="admin@example.org", display_name="Real Admin", role="admin")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    admins = db.session.scalars(select(User).where(User.email == "admin@example.org")).all()
    assert [a.display_name for a in admins] == ["Real Admin"]
