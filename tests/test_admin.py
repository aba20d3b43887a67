"""Admin pages: who may see the member list and change roles, and what bad requests get."""

from __future__ import annotations

import html
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.security import generate_password_hash

from mlc_events.auth.models import User
from mlc_events.extensions import db
from tests.conftest import PASSWORD, both_backends

FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")


@pytest.fixture
def make_user(make_user):
    """conftest's factory with a hash that checks in microseconds (scrypt: 0.1 s a sign-in)."""
    return lambda **kw: make_user(**{"password_hash": FAST_HASH, **kw})


def role_of(user_id: int) -> str:
    db.session.expire_all()
    return db.session.get(User, user_id).role


def body(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def as_role(client, make_user):
    """``as_role("host")`` signs the client in as a new user with that role."""

    def sign_in(role: str | None):
        if role is None:
            return client
        client.login(make_user(role=role, display_name=f"The {role}"))
        return client

    return sign_in


def test_anonymous_visitors_are_sent_to_sign_in_for_the_member_list(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    assert parse_qs(location.query) == {"next": ["/admin/users"]}


@pytest.mark.parametrize("role", ["member", "host"])
def test_members_and_hosts_may_not_see_the_member_list(as_role, role):
    response = as_role(role).get("/admin/users")
    assert response.status_code == 403
    assert "Only admins can see this page." in body(response)
    assert "Members and their roles" not in body(response)


def test_admins_see_every_member_with_a_role_form(as_role, make_user):
    member = make_user(display_name="Mia Member", email="mia@example.org")
    response = as_role("admin").get("/admin/users")
    assert response.status_code == 200
    page = body(response)
    assert "Mia Member" in page and "mia@example.org" in page
    assert f'action="/admin/users/{member.id}/role"' in page
    assert 'name="csrf_token"' in page


def test_anonymous_role_changes_are_sent_to_sign_in(client, make_user):
    target = make_user()
    response = client.post(f"/admin/users/{target.id}/role", {"role": "admin"})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"
    assert role_of(target.id) == "member"


def test_anonymous_htmx_role_changes_get_401_with_hx_redirect(client, make_user):
    target = make_user()
    response = client.post(f"/admin/users/{target.id}/role", {"role": "admin"}, htmx=True)
    assert response.status_code == 401
    assert urlsplit(response.headers["HX-Redirect"]).path == "/auth/login"
    assert role_of(target.id) == "member"


@pytest.mark.parametrize("role", ["member", "host"])
def test_members_and_hosts_may_not_change_roles(as_role, make_user, role):
    target = make_user()
    client = as_role(role)
    response = client.post(f"/admin/users/{target.id}/role", {"role": "admin"})
    assert response.status_code == 403
    assert "Only admins can change roles." in body(response)
    assert role_of(target.id) == "member"
    # Nor promote themselves.
    me = db.session.scalar(db.select(User).where(User.display_name == f"The {role}"))
    assert client.post(f"/admin/users/{me.id}/role", {"role": "admin"}).status_code == 403
    assert role_of(me.id) == role


@pytest.mark.parametrize(("start", "new"), [("member", "host"), ("host", "admin"),
                                            ("admin", "member"), ("host", "member")])  # fmt: skip
@both_backends
def test_admins_change_roles(as_role, make_user, start, new):
    target = make_user(role=start, display_name="Target")
    client = as_role("admin")
    response = client.post(f"/admin/users/{target.id}/role", {"role": new})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/users"
    assert role_of(target.id) == new
    assert f"Target is now {new}." in body(client.get("/admin/users"))


def test_an_htmx_role_change_redirects_with_hx_redirect(as_role, make_user):
    target = make_user()
    response = as_role("admin").post(f"/admin/users/{target.id}/role", {"role": "host"}, htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/admin/users"
    assert role_of(target.id) == "host"


@pytest.mark.parametrize("role", ["", "root", "ADMIN", "admin\u200b", "x" * 10_000, "💥"])
@both_backends
def test_an_unknown_role_is_refused_and_nothing_changes(as_role, make_user, role):
    target = make_user(role="host")
    response = as_role("admin").post(f"/admin/users/{target.id}/role", {"role": role})
    assert response.status_code == 422
    page = body(response)
    assert "Unknown role. Choose one of: member, host, admin." in page
    assert f'id="role-{target.id}-error"' in page  # beside that member's role
    assert role_of(target.id) == "host"


def test_a_missing_role_field_is_refused(as_role, make_user):
    target = make_user(role="host")
    response = as_role("admin").post(f"/admin/users/{target.id}/role", {})
    assert response.status_code == 422
    assert role_of(target.id) == "host"


@pytest.mark.parametrize("user_id", ["999", "0", "2147483648", "99999999999999999999999"])
@both_backends
def test_an_unknown_member_is_not_found(as_role, user_id):
    response = as_role("admin").post(f"/admin/users/{user_id}/role", {"role": "host"})
    assert response.status_code == 404
    assert len(body(response)) > 0
    assert "Something went wrong" not in body(response)


@pytest.mark.parametrize("user_id", ["abc", "-1", "1.5", "%00"])
def test_a_malformed_member_id_is_not_found(as_role, user_id):
    response = as_role("admin").post(f"/admin/users/{user_id}/role", {"role": "host"})
    assert response.status_code in (400, 404)


@pytest.mark.parametrize("role", ["member", "host"])
def test_an_admin_cannot_demote_themselves(client, make_user, role):
    admin = make_user(role="admin")
    client.login(admin)
    response = client.post(f"/admin/users/{admin.id}/role", {"role": role})
    assert response.status_code == 422
    assert "You cannot remove your own admin role." in body(response)
    assert role_of(admin.id) == "admin"
    assert client.get("/admin/users").status_code == 200  # still an admin


def test_a_role_change_without_csrf_changes_nothing(as_role, make_user):
    target = make_user()
    client = as_role("admin")
    response = client.post(f"/admin/users/{target.id}/role", {"role": "admin"}, csrf=False)
    assert response.status_code == 400
    assert "Reload the page" in body(response)
    assert role_of(target.id) == "member"


def test_the_role_change_url_refuses_get(as_role, make_user):
    target = make_user()
    response = as_role("admin").get(f"/admin/users/{target.id}/role?role=admin")
    assert response.status_code == 405
    assert role_of(target.id) == "member"


def test_a_demoted_admin_loses_access_at_once(client, new_client, make_user):
    boss, other = make_user(role="admin"), make_user(role="admin")
    client.login(other)
    other_client = client
    boss_client = new_client()
    boss_client.login(boss)
    assert boss_client.post(f"/admin/users/{other.id}/role", {"role": "member"}).status_code == 303
    assert other_client.get("/admin/users").status_code == 403
