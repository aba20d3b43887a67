"""Event and RSVP rules, on SQLite and (where configured) PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from mlc_events.database import utcnow
from mlc_events.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    SignInRequired,
    ValidationFailed,
)
from mlc_events.events import services
from mlc_events.events.models import RSVP, Event
from mlc_events.extensions import db
from mlc_events.notices.models import Notice
from tests.conftest import both_backends, calendar_part, read_outbox

pytestmark = both_backends


def event_input(**kw) -> services.EventInput:
    values = {
        "title": "Reading group: Grokking",
        "kind": "reading-group",
        "starts_at": "2030-03-07T17:00",
        "ends_at": "2030-03-07T18:30",
        "timezone": "Europe/London",
        "description": "We read *Grokking*.",
        "location": "Room 1",
        "online_url": "https://meet.example.org/x",
    }
    values.update(kw)
    return services.EventInput(**values)


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Event))


class TestCreateEvent:
    def test_host_creates_event_stored_in_utc_with_its_zone(self, make_user):
        host = make_user(role="host")
        event = services.create_event(host, event_input())
        assert event.starts_at == datetime(2030, 3, 7, 17, 0, tzinfo=UTC)  # GMT in March
        assert event.timezone == "Europe/London"
        assert event.hosts == [host]
        assert event.uid.endswith("@mlc-events")
        assert "<em>Grokking</em>" in event.description_html

    def test_summer_time_is_applied(self, make_user):
        event = services.create_event(
            make_user(role="host"),
            event_input(starts_at="2030-07-04T17:00", ends_at="2030-07-04T18:00"),
        )
        assert event.starts_at == datetime(2030, 7, 4, 16, 0, tzinfo=UTC)

    @pytest.mark.parametrize("role", ["member"])
    def test_members_cannot_create(self, make_user, role):
        with pytest.raises(PermissionDenied):
            services.create_event(make_user(role=role), event_input())
        assert event_count() == 0

    def test_admin_can_create(self, make_user):
        assert services.create_event(make_user(role="admin"), event_input()).id

    def test_anonymous_must_sign_in(self, app):
        from flask_login import AnonymousUserMixin

        with pytest.raises(SignInRequired):
            services.create_event(AnonymousUserMixin(), event_input())

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"title": ""}, "title"),
            ({"title": "x" * 201}, "title"),
            ({"kind": "party"}, "kind"),
            ({"timezone": "Mars/Olympus"}, "timezone"),
            ({"starts_at": "next thursday"}, "starts_at"),
            ({"ends_at": "2030-03-07T16:00"}, "ends_at"),
            ({"ends_at": "2030-03-07T17:00"}, "ends_at"),
            ({"capacity": -3}, "capacity"),
            ({"capacity": 0}, "capacity"),
            ({"online_url": "javascript:alert(1)"}, "online_url"),
            ({"location": "", "online_url": ""}, "location"),
            ({"visibility": "secret"}, "visibility"),
            ({"co_hosts": ["nobody@example.org"]}, "co_hosts"),
            # 01:30 does not exist in London on the day the clocks go forward.
            ({"starts_at": "2030-03-31T01:30", "ends_at": "2030-03-31T03:00"}, "starts_at"),
        ],
    )
    def test_bad_input_is_refused_with_a_field_message(self, make_user, changes, field):
        host = make_user(role="host")
        with pytest.raises(ValidationFailed) as info:
            services.create_event(host, event_input(**changes))
        assert field in info.value.field_errors
        assert info.value.field_errors[field]
        assert event_count() == 0

    def test_co_hosts_are_added_by_email(self, make_user):
        host, other = make_user(role="host"), make_user(email="Co@Example.org")
        event = services.create_event(host, event_input(co_hosts=["co@example.org"]))
        assert {h.id for h in event.hosts} == {host.id, other.id}
        assert services.can_manage(other, event)


class TestUpdateAndCancel:
    def test_time_change_bumps_sequence_title_change_does_not(self, make_user):
        host = make_user(role="host")
        event = services.create_event(host, event_input())
        services.update_event(host, event.id, event_input(title="New title"))
        assert event.sequence == 0
        services.update_event(
            host, event.id, event_input(starts_at="2030-03-07T18:00", ends_at="2030-03-07T19:00")
        )
        assert event.sequence == 1
        services.update_event(
            host,
            event.id,
            event_input(starts_at="2030-03-07T18:00", ends_at="2030-03-07T19:00", location="Hall"),
        )
        assert event.sequence == 2

    @pytest.mark.parametrize("role", ["member", "host"])
    def test_only_hosts_of_the_event_or_admins_edit(self, make_user, make_event, role):
        event = make_event()
        with pytest.raises(PermissionDenied):
            services.update_event(make_user(role=role), event.id, event_input(title="Hijacked"))
        with pytest.raises(PermissionDenied):
            services.cancel_event(make_user(role=role), event.id)
        db.session.refresh(event)
        assert event.title != "Hijacked"
        assert event.status == "scheduled"

    def test_admin_edits_any_event(self, make_user, make_event):
        event = make_event()
        services.update_event(make_user(role="admin"), event.id, event_input(title="Fixed"))
        assert event.title == "Fixed"

    def test_unknown_event_is_not_found(self, make_user):
        with pytest.raises(NotFound):
            services.update_event(make_user(role="admin"), 4242, event_input())

    def test_cancel_keeps_event_bumps_sequence_and_tells_attendees(self, make_user, make_event):
        event = make_event()
        member = make_user()
        services.set_rsvp(member, event.id, "going")
        services.cancel_event(event.hosts[0], event.id)
        assert event.status == "cancelled"
        assert event.sequence == 1
        assert event.cancelled_at is not None
        notices = db.session.scalars(select(Notice).where(Notice.user_id == member.id)).all()
        assert [n.body for n in notices] == [f"{event.title} was cancelled."]
        with pytest.raises(Conflict):
            services.cancel_event(event.hosts[0], event.id)
        with pytest.raises(Conflict):
            services.update_event(event.hosts[0], event.id, event_input())

    def test_capacity_cannot_drop_below_those_going(self, make_user, make_event):
        event = make_event(capacity=5)
        for _ in range(3):
            services.set_rsvp(make_user(), event.id, "going")
        with pytest.raises(ValidationFailed) as info:
            services.update_event(event.hosts[0], event.id, event_input(capacity=2))
        assert "3 members are already going" in info.value.field_errors["capacity"]

    def test_raising_capacity_promotes_the_waitlist(self, make_user, make_event):
        event = make_event(capacity=1)
        first, second = make_user(), make_user()
        services.set_rsvp(first, event.id, "going")
        assert services.set_rsvp(second, event.id, "going").status == "waitlisted"
        services.update_event(event.hosts[0], event.id, event_input(capacity=2))
        assert services.rsvp_of(second, event.id).status == "going"


class TestRSVP:
    def test_going_until_full_then_waitlist_in_order(self, make_user, make_event):
        event = make_event(capacity=2)
        members = [make_user() for _ in range(4)]
        statuses = [services.set_rsvp(m, event.id, "going").status for m in members]
        assert statuses == ["going", "going", "waitlisted", "waitlisted"]
        positions = [services.waitlist_position(services.rsvp_of(m, event.id)) for m in members[2:]]
        assert positions == [1, 2]
        assert services.attendance(event.id) == services.Attendance(going=2, waitlisted=2)

    def test_going_twice_is_idempotent(self, make_user, make_event):
        event = make_event(capacity=1)
        member = make_user()
        services.set_rsvp(member, event.id, "going")
        services.set_rsvp(member, event.id, "going")
        assert services.attendance(event.id).going == 1

    def test_leaving_promotes_first_waitlisted_with_notice_and_email(
        self, make_user, make_event, outbox
    ):
        event = make_event(capacity=1, title="Jam night")
        going, first, second = make_user(), make_user(email="first@example.org"), make_user()
        services.set_rsvp(going, event.id, "going")
        services.set_rsvp(first, event.id, "going")
        services.set_rsvp(second, event.id, "going")
        services.set_rsvp(going, event.id, "not_going")
        assert services.rsvp_of(first, event.id).status == "going"
        assert services.rsvp_of(second, event.id).status == "waitlisted"
        assert services.waitlist_position(services.rsvp_of(second, event.id)) == 1
        notices = db.session.scalars(select(Notice).where(Notice.user_id == first.id)).all()
        assert len(notices) == 1 and "you're going to Jam night" in notices[0].body
        mails = [m for m in read_outbox(outbox) if "To: first@example.org" in m]
        assert len(mails) == 1
        assert "A place opened up: you're going to Jam night." in mails[0]
        calendar = calendar_part(mails[0])
        assert b"METHOD:REQUEST" in calendar
        assert "http://mlc.test/events/" in mails[0]

    def test_leaving_the_waitlist_promotes_nobody(self, make_user, make_event):
        event = make_event(capacity=1)
        a, b, c = make_user(), make_user(), make_user()
        for m in (a, b, c):
            services.set_rsvp(m, event.id, "going")
        services.set_rsvp(b, event.id, "not_going")
        assert services.attendance(event.id) == services.Attendance(going=1, waitlisted=1)
        assert services.waitlist_position(services.rsvp_of(c, event.id)) == 1

    def test_rejoining_goes_to_the_back_of_the_queue(self, make_user, make_event):
        event = make_event(capacity=1)
        a, b, c = make_user(), make_user(), make_user()
        for m in (a, b, c):
            services.set_rsvp(m, event.id, "going")
        services.set_rsvp(b, event.id, "not_going")
        services.set_rsvp(b, event.id, "going")
        assert services.waitlist_position(services.rsvp_of(c, event.id)) == 1
        assert services.waitlist_position(services.rsvp_of(b, event.id)) == 2

    def test_cancelled_event_refuses_rsvp(self, make_user, make_event):
        event = make_event()
        services.cancel_event(event.hosts[0], event.id)
        with pytest.raises(Conflict, match="cancelled"):
            services.set_rsvp(make_user(), event.id, "going")
        assert db.session.scalar(select(func.count()).select_from(RSVP)) == 0

    def test_past_event_refuses_rsvp(self, make_user, make_event):
        start = utcnow() - timedelta(days=2)
        event = make_event(starts_at=start, ends_at=start + timedelta(hours=1))
        with pytest.raises(Conflict, match="over"):
            services.set_rsvp(make_user(), event.id, "going")

    def test_bad_status_is_refused(self, make_user, make_event):
        with pytest.raises(ValidationFailed):
            services.set_rsvp(make_user(), make_event().id, "maybe")

    def test_members_only_event_is_hidden_from_anonymous(self, make_event, make_user):
        from flask_login import AnonymousUserMixin

        event = make_event(visibility="members")
        with pytest.raises(SignInRequired):
            services.get_visible_event(AnonymousUserMixin(), event.id)
        assert services.get_visible_event(make_user(), event.id) == event
        listed = services.list_events(AnonymousUserMixin()).items
        assert event not in listed
        assert event in services.list_events(make_user()).items

    def test_online_link_only_for_hosts_and_going(self, make_event, make_user):
        from flask_login import AnonymousUserMixin

        event = make_event(capacity=1)
        going, waiting, other = make_user(), make_user(), make_user()
        services.set_rsvp(going, event.id, "going")
        services.set_rsvp(waiting, event.id, "going")
        assert services.can_see_online_link(going, event)
        assert services.can_see_online_link(event.hosts[0], event)
        assert not services.can_see_online_link(waiting, event)
        assert not services.can_see_online_link(other, event)
        assert not services.can_see_online_link(AnonymousUserMixin(), event)

    def test_attendee_lists_for_hosts_only(self, make_event, make_user):
        event = make_event(capacity=1)
        a, b = make_user(), make_user()
        services.set_rsvp(a, event.id, "going")
        services.set_rsvp(b, event.id, "going")
        going, waitlist = services.attendees(event.hosts[0], event.id)
        assert [r.user_id for r in going] == [a.id]
        assert [r.user_id for r in waitlist] == [b.id]
        with pytest.raises(PermissionDenied):
            services.attendees(a, event.id)


class TestListing:
    def test_upcoming_and_past_and_kind_filter(self, make_event):
        now = utcnow()
        past = make_event(
            title="Old",
            starts_at=now - timedelta(days=3),
            ends_at=now - timedelta(days=3) + timedelta(hours=1),
        )
        soon = make_event(title="Soon", kind="social")
        from flask_login import AnonymousUserMixin

        anon = AnonymousUserMixin()
        assert [e.title for e in services.list_events(anon).items] == ["Soon"]
        assert [e.title for e in services.list_events(anon, past=True).items] == ["Old"]
        assert services.list_events(anon, kind="reading-group").items == []
        assert services.list_events(anon, kind="social").items == [soon]
        with pytest.raises(NotFound):
            services.list_events(anon, kind="rave")
        assert past.is_past
