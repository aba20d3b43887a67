"""Series pages: create, show, standing RSVP, edit; each role; bad input."""

from __future__ import annotations

import html
from datetime import timedelta

from sqlalchemy import func, select

from mlc_events.database import utcnow
from mlc_events.events.models import RSVP, Event
from mlc_events.extensions import db
from mlc_events.series.models import Series


def form(**kw) -> dict:
    first = (utcnow() + timedelta(days=3)).date()
    values = {
        "title": "Lab meeting", "kind": "lab-meeting", "first_date": first.isoformat(),
        "start_time": "12:00", "duration_minutes": "60", "timezone": "America/New_York",
        "frequency": "weekly", "interval": "1", "horizon_weeks": "4",
        "online_url": "https://meet.example.org/lab", "visibility": "public",
    }  # fmt: skip
    values.update(kw)
    return values


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_host_creates_series_and_members_take_a_standing_rsvp(new_client, make_user):
    host, member = new_client(), new_client()
    host.login(make_user(role="host"))
    assert host.get("/series/new").status_code == 200
    response = host.post("/series/new", form())
    assert response.status_code == 303, response.get_data(as_text=True)
    series = db.session.scalar(select(Series))
    assert response.headers["Location"].endswith(f"/series/{series.id}")
    assert count(Event) == 4
    page = html.unescape(host.get(f"/series/{series.id}").get_data(as_text=True))
    weekday = (utcnow() + timedelta(days=3)).strftime("%A")
    assert f"Every {weekday}, 12:00 America/New_York" in page
    assert "Edit all future events" in page
    member.login(make_user())
    assert member.post(f"/series/{series.id}/standing", {"standing": "on"}).status_code == 303
    page = html.unescape(member.get(f"/series/{series.id}").get_data(as_text=True))
    assert "You're going to every event of this series." in page
    assert count(RSVP) == 4
    event_id = db.session.scalar(select(Event.id).order_by(Event.starts_at))
    page = html.unescape(member.get(f"/events/{event_id}").get_data(as_text=True))
    assert f'Part of <a href="/series/{series.id}">Lab meeting</a>' in page
    assert "You're going" in page


def test_members_cannot_create_or_edit(new_client, make_user):
    host, member = new_client(), new_client()
    host.login(make_user(role="host"))
    host.post("/series/new", form())
    series_id = db.session.scalar(select(Series.id))
    member.login(make_user())
    assert member.get("/series/new").status_code == 403
    assert member.post("/series/new", form()).status_code == 403
    assert member.get(f"/series/{series_id}/edit").status_code == 403
    assert member.post(f"/series/{series_id}/edit", form(title="Mine")).status_code == 403
    assert count(Series) == 1
    assert db.session.scalar(select(Series.title)) == "Lab meeting"


def test_bad_input_is_422_with_messages(client, make_user):
    client.login(make_user(role="host"))
    for bad, message in [
        ({"start_time": "7pm"}, "Enter a time as HH:MM"),
        ({"interval": "0"}, "Repeat every 1 to 8 weeks."),
        ({"interval": "two"}, "Enter a whole number."),
        ({"timezone": "Atlantis"}, "Choose a timezone from the list"),
        ({"online_url": "", "location": ""}, "Add a place, an online link, or both."),
    ]:
        response = client.post("/series/new", form(**bad))
        assert response.status_code == 422, bad
        assert message in html.unescape(response.get_data(as_text=True)), bad
    assert count(Series) == 0 and count(Event) == 0


def test_edit_all_future(client, make_user):
    client.login(make_user(role="host"))
    client.post("/series/new", form())
    series_id = db.session.scalar(select(Series.id))
    page = client.get(f"/series/{series_id}/edit").get_data(as_text=True)
    assert 'value="12:00"' in page
    response = client.post(f"/series/{series_id}/edit", form(start_time="13:15"))
    assert response.status_code == 303
    db.session.expire_all()
    times = {e.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
             .strftime("%H:%M") for e in db.session.scalars(select(Event))}  # fmt: skip
    assert times == {"13:15"}


def test_unknown_series_404_and_anonymous_standing_goes_to_login(client):
    assert client.get("/series/999").status_code == 404
    response = client.post("/series/999/standing", {"standing": "on"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
