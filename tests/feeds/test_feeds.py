"""Feeds and one-event invites, read by icalendar, vobject and Mozilla's ical.js."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from mlc_events.database import utcnow
from mlc_events.events import services as events
from mlc_events.events.models import Event
from mlc_events.extensions import db
from mlc_events.timeutil import local_to_utc
from tests.feeds.parsers import parse_all, with_icaljs_raw

SECRET_LINK = "https://meet.example.org/secret-room"


def at(local: str, tz: str):
    return local_to_utc(local, tz)


def feed_events(client, url: str, **kw) -> list[dict]:
    response = client.get(url, **kw)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return parse_all(response.data)


def by_uid(items: list[dict]) -> dict[str, dict]:
    return {i["uid"]: i for i in items}


class TestPublicFeed:
    def test_instants_zones_and_links_agree_in_three_parsers(self, client, make_event):
        winter = make_event(
            title="Winter reading group",
            starts_at=at("2030-01-10T17:00", "Europe/London"),
            ends_at=at("2030-01-10T18:30", "Europe/London"),
            timezone="Europe/London",
        )
        summer = make_event(
            title="Summer talk",
            kind="talk",
            starts_at=at("2030-07-10T09:00", "Australia/Sydney"),
            ends_at=at("2030-07-10T10:00", "Australia/Sydney"),
            timezone="Australia/Sydney",
        )
        items = by_uid(feed_events(client, "/calendar.ics"))
        w, s = items[winter.uid], items[summer.uid]
        assert (w["start"], w["end"], w["tzid"]) == (
            "2030-01-10T17:00:00Z", "2030-01-10T18:30:00Z", "Europe/London"
        )  # fmt: skip
        # 09:00 in Sydney's winter (AEST, +10) is 23:00 UTC the day before.
        assert (s["start"], s["tzid"]) == ("2030-07-09T23:00:00Z", "Australia/Sydney")
        for item, event in ((w, winter), (s, summer)):
            assert item["url"] == f"http://mlc.test/events/{event.id}"
            assert f"Event page: http://mlc.test/events/{event.id}" in item["description"]
            assert item["status"] == "CONFIRMED"
            assert SECRET_LINK not in item["description"] + item["location"]

    def test_calendar_properties(self, client, make_event):
        make_event(timezone="Asia/Tokyo")
        body = client.get("/calendar.ics").get_data(as_text=True)
        assert "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
        assert "\r\nX-PUBLISHED-TTL:PT1H\r\n" in body
        assert "\r\nNAME:MLC events: All events\r\n" in body
        assert body.count("X-WR-CALNAME") == 1
        assert "METHOD" not in body
        parsed = with_icaljs_raw(body.encode())
        assert parsed["refresh"][-1] == "PT1H"
        tzids = set(re.findall(r"TZID=([^:;]+)", body))
        assert tzids == set(parsed["timezones"]) == {"Asia/Tokyo"}

    def test_members_only_and_online_links_stay_out(self, client, make_event):
        public = make_event(title="Public")
        private = make_event(title="Members", visibility="members")
        body = client.get("/calendar.ics").get_data(as_text=True)
        assert public.uid in body and private.uid not in body
        assert "secret-room" not in body

    def test_kind_feed_has_only_that_kind(self, client, make_event):
        rg = make_event(kind="reading-group")
        social = make_event(kind="social")
        uids = {i["uid"] for i in feed_events(client, "/calendar/reading-group.ics")}
        assert uids == {rg.uid}
        assert social.uid not in uids
        assert client.get("/calendar/raves.ics").status_code == 404

    def test_unchanged_feed_is_byte_identical_and_answers_304(self, client, make_event):
        make_event()
        first, second = client.get("/calendar.ics"), client.get("/calendar.ics")
        assert first.data == second.data
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert etag == second.headers["ETag"]
        assert "max-age" in first.headers["Cache-Control"]
        again = client.get("/calendar.ics", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        again = client.get("/calendar.ics", headers={"If-Modified-Since": modified})
        assert again.status_code == 304

    def test_edit_keeps_uid_bumps_sequence_changes_etag(self, client, make_event):
        event = make_event(
            starts_at=at("2030-03-20T17:00", "Europe/London"),
            ends_at=at("2030-03-20T18:00", "Europe/London"),
        )
        uid = event.uid
        first = client.get("/calendar.ics")
        events.update_event(
            event.hosts[0],
            event.id,
            events.EventInput(
                title="Moved",
                kind="reading-group",
                starts_at="2030-04-03T17:00",
                ends_at="2030-04-03T18:00",
                timezone="Europe/London",
                location="Room 2",
            ),  # fmt: skip
        )
        second = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
        assert second.status_code == 200
        item = by_uid(parse_all(second.data))[uid]
        # Across the DST change: 17:00 BST is 16:00 UTC.
        assert (item["start"], item["sequence"], item["location"]) == (
            "2030-04-03T16:00:00Z", 1, "Room 2"
        )  # fmt: skip

    def test_cancelled_stays_30_days_then_goes(self, client, make_event):
        event = make_event()
        events.cancel_event(event.hosts[0], event.id)
        item = by_uid(feed_events(client, "/calendar.ics"))[event.uid]
        assert (item["status"], item["sequence"]) == ("CANCELLED", 1)
        db.session.execute(
            Event.__table__.update()
            .where(Event.id == event.id)
            .values(cancelled_at=utcnow() - timedelta(days=31))
        )
        db.session.commit()
        assert event.uid not in {i["uid"] for i in feed_events(client, "/calendar.ics")}


class TestPersonalFeed:
    def test_hosted_going_and_waitlisted(self, client, make_user, make_event):
        me = make_user()
        hosted = make_event(title="Mine", hosts=[me], visibility="members")
        going = make_event(title="Going")
        full = make_event(title="Full", capacity=1)
        make_event(title="Not mine")
        declined = make_event(title="Declined")
        events.set_rsvp(make_user(), full.id, "going")
        events.set_rsvp(me, going.id, "going")
        events.set_rsvp(me, full.id, "going")
        events.set_rsvp(me, declined.id, "not_going")
        items = by_uid(feed_events(client, f"/calendar/u/{me.calendar_token}.ics"))
        assert set(items) == {hosted.uid, going.uid, full.uid}
        assert items[hosted.uid]["status"] == "CONFIRMED"
        assert items[going.uid]["status"] == "CONFIRMED"
        assert items[full.uid]["status"] == "TENTATIVE"
        assert f"Join online: {SECRET_LINK}" in items[going.uid]["description"]
        assert f"Join online: {SECRET_LINK}" in items[hosted.uid]["description"]
        assert SECRET_LINK not in items[full.uid]["description"] + items[full.uid]["location"]

    def test_rsvp_change_changes_the_feed(self, client, make_user, make_event):
        me = make_user()
        event = make_event()
        url = f"/calendar/u/{me.calendar_token}.ics"
        empty = client.get(url)
        events.set_rsvp(me, event.id, "going")
        after = client.get(url, headers={"If-None-Match": empty.headers["ETag"]})
        assert after.status_code == 200
        assert event.uid in after.get_data(as_text=True)
        assert after.headers["Cache-Control"].startswith("private")

    @pytest.mark.parametrize("token", ["1-wrong", "abc", "999-x", "1-", "-", "1"])
    def test_wrong_tokens_are_404(self, client, make_user, token):
        make_user()
        response = client.get(f"/calendar/u/{token}.ics")
        assert response.status_code == 404
        assert b"BEGIN:VCALENDAR" not in response.data

    def test_rotating_kills_the_old_url(self, client, make_user):
        me = make_user()
        old = me.calendar_token
        client.login(me)
        page = client.get("/account/calendar").get_data(as_text=True)
        assert f"http://mlc.test/calendar/u/{old}.ics" in page
        assert f"webcal://mlc.test/calendar/u/{old}.ics" in page
        assert (
            "https://calendar.google.com/calendar/r?cid=http%3A%2F%2Fmlc.test%2Fcalendar.ics"
            in page
        )
        assert client.post("/account/calendar", csrf=False).status_code == 400
        assert client.get(f"/calendar/u/{old}.ics").status_code == 200
        response = client.post("/account/calendar")
        assert response.status_code == 303
        db.session.expire_all()
        new = db.session.get(type(me), me.id).calendar_token
        assert new != old and len(new) > 40
        assert client.get(f"/calendar/u/{old}.ics").status_code == 404
        assert client.get(f"/calendar/u/{new}.ics").status_code == 200
        assert new in client.get("/account/calendar").get_data(as_text=True)

    def test_calendar_page_needs_sign_in(self, client):
        response = client.get("/account/calendar")
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]


class TestEventDownload:
    def test_online_link_only_for_the_going_signed_in(self, new_client, make_user, make_event):
        event = make_event(capacity=1)
        going, waiting = make_user(), make_user()
        events.set_rsvp(going, event.id, "going")
        events.set_rsvp(waiting, event.id, "going")
        anon = new_client()
        [item] = parse_all(anon.get(f"/events/{event.id}.ics").data)
        assert SECRET_LINK not in item["description"]
        member = new_client()
        member.login(going)
        response = member.get(f"/events/{event.id}.ics")
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "no-cache" in response.headers["Cache-Control"]
        [item] = parse_all(response.data)
        assert f"Join online: {SECRET_LINK}" in item["description"]
        assert item["uid"] == event.uid
        waiter = new_client()
        waiter.login(waiting)
        [item] = parse_all(waiter.get(f"/events/{event.id}.ics").data)
        assert SECRET_LINK not in item["description"]
        assert item["status"] == "TENTATIVE"

    def test_members_only_download_needs_sign_in_and_unknown_is_404(self, client, make_event):
        event = make_event(visibility="members")
        assert client.get(f"/events/{event.id}.ics").status_code == 302
        assert client.get("/events/4040.ics").status_code == 404

    def test_event_page_offers_calendar_links_without_the_online_link(
        self, client, make_user, make_event
    ):
        event = make_event(
            starts_at=at("2030-06-01T18:00", "Europe/Berlin"),
            ends_at=at("2030-06-01T19:00", "Europe/Berlin"),
            timezone="Europe/Berlin",
        )
        member = make_user()
        events.set_rsvp(member, event.id, "going")
        client.login(member)
        body = client.get(f"/events/{event.id}").get_data(as_text=True)
        assert f'href="/events/{event.id}.ics"' in body
        google = re.search(r'href="(https://calendar\.google\.com/calendar/render\?[^"]+)"', body)[
            1
        ]
        assert "dates=20300601T180000%2F20300601T190000" in google
        assert "ctz=Europe%2FBerlin" in google
        assert "secret-room" not in google
        outlook = re.search(r'href="(https://outlook\.live\.com/[^"]+)"', body)[1]
        assert "startdt=2030-06-01T16%3A00%3A00Z" in outlook
        assert "secret-room" not in outlook


def test_a_thousand_events_feed_builds(app, make_user):
    host = make_user(role="host")
    start = utcnow() + timedelta(days=1)
    db.session.add_all(
        Event(
            title=f"Event {i}",
            kind="talk",
            starts_at=start + timedelta(hours=i),
            ends_at=start + timedelta(hours=i, minutes=45),
            timezone="Europe/London",
            location="Hall",
            hosts=[host],
        )  # fmt: skip
        for i in range(1000)
    )
    db.session.commit()
    client = app.test_client()
    response = client.get("/calendar.ics")
    assert response.data.count(b"BEGIN:VEVENT") == 1000
    assert db.session.scalar(select(Event.id).limit(1))
