"""Event pages and the RSVP endpoint: page and htmx fragment, each role, bad input."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mlc_events.database import utcnow
from mlc_events.events import services
from mlc_events.events.models import RSVP, Event
from mlc_events.extensions import db

FORM = {
    "title": "Lab meeting: week 12",
    "kind": "lab-meeting",
    "description": "Updates. <script>alert(1)</script> [x](javascript:alert(1))",
    "starts_at": "2031-01-15T12:00",
    "ends_at": "2031-01-15T13:00",
    "timezone": "America/New_York",
    "location": "",
    "online_url": "https://meet.example.org/lab",
    "capacity": "",
    "visibility": "members",
}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


class TestEventPage:
    def test_anonymous_sees_public_event_without_online_link(self, client, make_event):
        event = make_event(title="Reading group: DPO")
        body = client.get(f"/events/{event.id}").get_data(as_text=True)
        assert "Reading group: DPO" in body
        assert "0 going" in body
        assert "secret-room" not in body
        assert "Sign in to RSVP" in body

    def test_times_are_time_elements_in_utc_with_event_zone_named(
        self, client, make_user, make_event
    ):
        start = utcnow().replace(hour=17, minute=0, second=0, microsecond=0) + timedelta(days=30)
        event = make_event(starts_at=start, timezone="Europe/London")
        iso = start.strftime("%Y-%m-%dT%H:%M:%SZ")
        body = client.get(f"/events/{event.id}").get_data(as_text=True)
        assert f'<time datetime="{iso}">' in body
        assert "(Europe/London)" in body
        client.login(make_user(timezone="Asia/Tokyo"))
        body = client.get(f"/events/{event.id}").get_data(as_text=True)
        tokyo = (start + timedelta(hours=9)).strftime("%H:%M")
        assert re.search(rf'<time datetime="{iso}">[^<]*{tokyo}</time>', body)
        assert "JST" in body
        assert "Europe/London" in body

    def test_browser_zone_cookie_is_used_without_a_profile_zone(self, client, make_event):
        start = utcnow().replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=30)
        event = make_event(starts_at=start, timezone="UTC")
        client.raw.set_cookie("tz", "America/Los_Angeles")
        body = client.get(f"/events/{event.id}").get_data(as_text=True)
        assert re.search(r"(PST|PDT)", body)

    def test_unknown_event_404(self, client):
        assert client.get("/events/99999").status_code == 404

    def test_members_only_event_sends_anonymous_to_login(self, client, make_event):
        event = make_event(visibility="members")
        response = client.get(f"/events/{event.id}")
        assert response.status_code == 302
        assert response.headers["Location"].startswith(f"/auth/login?next=/events/{event.id}")

    def test_cancelled_page_says_so(self, client, make_event):
        event = make_event()
        services.cancel_event(event.hosts[0], event.id)
        body = client.get(f"/events/{event.id}").get_data(as_text=True)
        assert "This event was cancelled" in body
        assert "I'm going" not in body

    def test_hosts_see_attendees_and_waitlist_members_do_not(self, client, make_user, make_event):
        event = make_event(capacity=1)
        going, waiting = make_user(display_name="Ada Going"), make_user(display_name="Bo Waits")
        services.set_rsvp(going, event.id, "going")
        services.set_rsvp(waiting, event.id, "going")
        client.login(event.hosts[0])
        body = client.get(f"/events/{event.id}").get_data(as_text=True)
        assert "Ada Going" in body and "Bo Waits" in body
        assert "1 going" in body and "1 waitlisted" in body
        assert "secret-room" in body
        client.logout()
        client.login(waiting)
        body = client.get(f"/events/{event.id}").get_data(as_text=True)
        assert "Ada Going" not in body
        assert "You're on the waitlist (position 1)" in body
        assert "secret-room" not in body

    def test_description_is_sanitised(self, client, make_event):
        event = make_event(description='Hi <img src=x onerror="alert(1)"> [a](javascript:x)')
        body = client.get(f"/events/{event.id}").get_data(as_text=True)
        assert not re.search(r"<[^>]*onerror", body)
        assert "<img" not in body
        assert 'href="javascript' not in body


class TestListPages:
    def test_kind_filter_and_archive(self, client, make_event):
        now = utcnow()
        make_event(title="Future social", kind="social")
        make_event(title="Future talk", kind="talk")
        make_event(
            title="Old talk",
            kind="talk",
            starts_at=now - timedelta(days=5),
            ends_at=now - timedelta(days=5, hours=-1),
        )
        body = client.get("/events/?kind=talk").get_data(as_text=True)
        assert "Future talk" in body and "Future social" not in body and "Old talk" not in body
        body = client.get("/events/?when=past").get_data(as_text=True)
        assert "Old talk" in body and "Future talk" not in body

    @pytest.mark.parametrize("query", ["?kind=rave", "?page=0", "?page=abc"])
    def test_bad_query_is_404(self, client, query):
        assert client.get(f"/events/{query}").status_code == 404


class TestRSVPEndpoint:
    def test_plain_form_redirects_back_to_the_event(self, client, make_user, make_event):
        event = make_event()
        client.login(make_user())
        response = client.post(f"/events/{event.id}/rsvp", {"status": "going"})
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/events/{event.id}")
        body = client.get(f"/events/{event.id}").get_data(as_text=True)
        assert "You're going" in body and "1 going" in body
        assert "https://meet.example.org/secret-room" in body

    def test_htmx_gets_the_fragment(self, client, make_user, make_event):
        event = make_event(capacity=1)
        services.set_rsvp(make_user(), event.id, "going")
        client.login(make_user())
        response = client.post(f"/events/{event.id}/rsvp", {"status": "going"}, htmx=True)
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert body.lstrip().startswith('<section id="rsvp"')
        assert "<html" not in body
        assert "You're on the waitlist (position 1)" in body
        assert "1 going" in body and "1 waitlisted" in body
        assert "HX-Request" in response.headers["Vary"]

    def test_event_page_as_htmx_returns_the_rsvp_fragment(self, client, make_event):
        event = make_event()
        response = client.get(f"/events/{event.id}", headers={"HX-Request": "true"})
        assert response.get_data(as_text=True).lstrip().startswith('<section id="rsvp"')

    def test_anonymous_rsvp_goes_to_login(self, client, make_event):
        event = make_event()
        referer = {"Referer": f"http://localhost/events/{event.id}"}
        response = client.post(f"/events/{event.id}/rsvp", {"status": "going"}, headers=referer)
        assert response.status_code == 302
        assert response.headers["Location"] == f"/auth/login?next=/events/{event.id}"
        response = client.post(f"/events/{event.id}/rsvp", {"status": "going"}, htmx=True)
        assert response.status_code == 401
        assert response.headers["HX-Redirect"].startswith("/auth/login")
        assert count(RSVP) == 0

    def test_rsvp_to_cancelled_event_is_409_with_message(self, client, make_user, make_event):
        event = make_event()
        services.cancel_event(event.hosts[0], event.id)
        client.login(make_user())
        response = client.post(f"/events/{event.id}/rsvp", {"status": "going"})
        assert response.status_code == 409
        assert "cancelled" in response.get_data(as_text=True)
        response = client.post(f"/events/{event.id}/rsvp", {"status": "going"}, htmx=True)
        assert response.status_code == 409
        assert "This event was cancelled" in response.get_data(as_text=True)
        assert count(RSVP) == 0

    def test_rsvp_to_past_event_is_409(self, client, make_user, make_event):
        start = utcnow() - timedelta(days=1)
        event = make_event(starts_at=start, ends_at=start + timedelta(hours=1))
        client.login(make_user())
        response = client.post(f"/events/{event.id}/rsvp", {"status": "going"})
        assert response.status_code == 409
        assert "over" in response.get_data(as_text=True)

    def test_bad_status_is_422(self, client, make_user, make_event):
        event = make_event()
        client.login(make_user())
        response = client.post(f"/events/{event.id}/rsvp", {"status": "perhaps"})
        assert response.status_code == 422
        assert "going or not going" in response.get_data(as_text=True)

    def test_unknown_event_rsvp_404(self, client, make_user):
        client.login(make_user())
        assert client.post("/events/777/rsvp", {"status": "going"}).status_code == 404

    def test_rsvp_without_csrf_is_refused(self, client, make_user, make_event):
        event = make_event()
        client.login(make_user())
        response = client.post(f"/events/{event.id}/rsvp", {"status": "going"}, csrf=False)
        assert response.status_code == 400
        assert count(RSVP) == 0

    def test_leaving_shows_promotion_notice_to_the_next_member(
        self, new_client, make_user, make_event
    ):
        event = make_event(capacity=1, title="Tiny workshop")
        first, second = make_user(), make_user()
        a, b = new_client(), new_client()
        a.login(first)
        b.login(second)
        a.post(f"/events/{event.id}/rsvp", {"status": "going"})
        b.post(f"/events/{event.id}/rsvp", {"status": "going"})
        a.post(f"/events/{event.id}/rsvp", {"status": "not_going"}, htmx=True)
        body = html.unescape(b.get("/").get_data(as_text=True))
        assert "A place opened up: you're going to Tiny workshop." in body


class TestCreateEditCancel:
    def test_host_creates_event(self, client, make_user):
        client.login(make_user(role="host"))
        assert client.get("/events/new").status_code == 200
        response = client.post("/events/new", FORM)
        assert response.status_code == 303, response.get_data(as_text=True)
        event = db.session.scalar(select(Event))
        assert response.headers["Location"].endswith(f"/events/{event.id}")
        assert event.timezone == "America/New_York"
        assert event.starts_at.hour == 17  # 12:00 EST
        assert event.visibility == "members"
        assert event.capacity is None
        assert "<script>" not in event.description_html
        assert 'href="javascript' not in event.description_html

    @pytest.mark.parametrize("role", ["member"])
    def test_members_get_403(self, client, make_user, role):
        client.login(make_user(role=role))
        assert client.get("/events/new").status_code == 403
        assert client.post("/events/new", FORM).status_code == 403
        assert count(Event) == 0

    def test_anonymous_goes_to_login(self, client):
        response = client.get("/events/new")
        assert response.status_code == 302
        assert "/auth/login?next=" in response.headers["Location"]

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"ends_at": "2031-01-15T11:00"}, "The end must be after the start."),
            ({"timezone": "Atlantis/Capital"}, "Choose a timezone from the list"),
            ({"capacity": "-4"}, "Capacity must be at least 1"),
            ({"capacity": "lots"}, "Enter a whole number"),
            ({"title": "t" * 201}, "Use at most 200 characters."),
            ({"title": ""}, "Give the event a title."),
            ({"starts_at": ""}, "Enter a start time."),
            (
                {"online_url": "ftp://x", "location": ""},
                "Enter a full web link, like https://meet.example.org/room",
            ),
        ],
    )
    def test_bad_input_is_422_beside_the_field(self, client, make_user, changes, message):
        client.login(make_user(role="host"))
        response = client.post("/events/new", {**FORM, **changes})
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        assert 'class="field-error"' in body
        assert message.replace("'", "&#39;") in body
        assert count(Event) == 0

    def test_edit_by_host_and_refusals(self, new_client, make_user, make_event):
        event = make_event()
        host, stranger = event.hosts[0], make_user(role="host")
        other = new_client()
        other.login(stranger)
        assert other.get(f"/events/{event.id}/edit").status_code == 403
        assert other.post(f"/events/{event.id}/edit", FORM).status_code == 403
        assert other.post(f"/events/{event.id}/cancel").status_code == 403
        owner = new_client()
        owner.login(host)
        page = owner.get(f"/events/{event.id}/edit").get_data(as_text=True)
        assert 'value="Reading group: a paper"' in page
        response = owner.post(f"/events/{event.id}/edit", {**FORM, "title": "Renamed"})
        assert response.status_code == 303
        db.session.expire_all()
        assert db.session.get(Event, event.id).title == "Renamed"
        assert owner.post(f"/events/{event.id}/cancel").status_code == 303
        db.session.expire_all()
        assert db.session.get(Event, event.id).status == "cancelled"
        assert owner.post(f"/events/{event.id}/cancel").status_code == 409
        assert owner.get(f"/events/{event.id}/edit").status_code == 409

    def test_cancel_is_post_only(self, client, make_event):
        event = make_event()
        assert client.get(f"/events/{event.id}/cancel").status_code == 405
