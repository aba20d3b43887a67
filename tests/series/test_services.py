"""Recurring series: dates, DST, skips and moves, edits, standing RSVPs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from mlc_events.errors import PermissionDenied, ValidationFailed
from mlc_events.events import services as events
from mlc_events.events.models import RSVP, Event
from mlc_events.extensions import db
from mlc_events.series import services
from mlc_events.series.models import Series
from mlc_events.timeutil import zone
from tests.conftest import both_backends
from tests.feeds.parsers import parse_all

pytestmark = both_backends

TODAY = date(2030, 3, 1)  # a Friday; London's clocks go forward on Sunday 31 March 2030


def series_input(**kw) -> services.SeriesInput:
    values = {
        "title": "Reading group", "kind": "reading-group", "timezone": "Europe/London",
        "start_time": "17:00", "duration_minutes": 90, "first_date": "2030-03-07",
        "frequency": "weekly", "interval": 1, "horizon_weeks": 8,
        "online_url": "https://meet.example.org/rg",
    }  # fmt: skip
    values.update(kw)
    return services.SeriesInput(**values)


def instances(series: Series) -> list[Event]:
    return list(
        db.session.scalars(
            select(Event).where(Event.series_id == series.id).order_by(Event.series_date)
        )
    )


def utc(event: Event) -> str:
    return event.starts_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def test_weekly_wall_clock_is_fixed_across_dst(make_user):
    series = services.create_series(make_user(role="host"), series_input(), today=TODAY)
    made = instances(series)
    assert [e.series_date for e in made] == [date(2030, 3, 7) + timedelta(weeks=i)
                                             for i in range(8)]  # fmt: skip
    # 17:00 GMT in March, 17:00 BST (16:00 UTC) from April.
    assert utc(made[0]) == "2030-03-07 17:00"
    assert utc(made[3]) == "2030-03-28 17:00"
    assert utc(made[4]) == "2030-04-04 16:00"
    assert all(e.starts_at.astimezone(zone("Europe/London")).hour == 17 for e in made)
    assert all(e.ends_at - e.starts_at == timedelta(minutes=90) for e in made)
    # A viewer in Sydney (whose clocks go back on 7 April) sees the same instants.
    sydney = [e.starts_at.astimezone(zone("Australia/Sydney")).strftime("%d %H:%M")
              for e in made[3:6]]  # fmt: skip
    assert sydney == ["29 04:00", "05 03:00", "12 02:00"]


def test_series_instances_in_the_feed_agree_in_three_parsers(client, make_user):
    series = services.create_series(make_user(role="host"), series_input(), today=TODAY)
    by_uid = {i["uid"]: i for i in parse_all(client.get("/calendar.ics").data)}
    for event in instances(series):
        item = by_uid[event.uid]
        assert item["start"] == event.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert item["tzid"] == "Europe/London"
    assert len({e.uid for e in instances(series)}) == 8


def test_every_two_weeks_and_until(make_user):
    series = services.create_series(
        make_user(role="host"), series_input(interval=2, until="2030-04-05"), today=TODAY
    )
    assert [e.series_date for e in instances(series)] == [
        date(2030, 3, 7), date(2030, 3, 21), date(2030, 4, 4)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("first", "week", "expected"),
    [
        ("2030-03-12", "", [date(2030, 3, 12), date(2030, 4, 9), date(2030, 5, 14)]),  # 2nd Tue
        ("2030-03-29", "last", [date(2030, 3, 29), date(2030, 4, 26), date(2030, 5, 31)]),
    ],
)
def test_monthly_on_the_nth_weekday(make_user, first, week, expected):
    series = services.create_series(
        make_user(role="host"),
        series_input(frequency="monthly", first_date=first, monthly_week=week, horizon_weeks=14),
        today=TODAY,
    )
    assert [e.series_date for e in instances(series)] == expected


def test_generation_continues_as_time_passes_and_is_idempotent(make_user):
    series = services.create_series(make_user(role="host"), series_input(), today=TODAY)
    assert services.extend(series, TODAY) == 0
    assert services.extend(series, TODAY + timedelta(weeks=2)) == 2
    db.session.commit()
    assert len(instances(series)) == 10
    assert services.extend_all(TODAY + timedelta(weeks=2)) == 0


def test_skipped_and_moved_instances_are_not_recreated(make_user):
    host = make_user(role="host")
    series = services.create_series(host, series_input(), today=TODAY)
    first, second = instances(series)[:2]
    events.cancel_event(host, first.id)
    events.update_event(
        host,
        second.id,
        events.EventInput(
            title="Reading group (moved to Friday)",
            kind="reading-group",
            starts_at="2030-03-15T18:00",
            ends_at="2030-03-15T19:00",
            timezone="Europe/London",
            online_url="https://meet.example.org/rg",
        ),  # fmt: skip
    )
    services.extend(series, TODAY + timedelta(days=1))
    db.session.commit()
    made = instances(series)
    assert len(made) == 8
    assert made[0].is_cancelled
    assert utc(made[1]) == "2030-03-15 18:00"


def test_edit_all_future_changes_time_and_notifies_by_sequence(make_user):
    host = make_user(role="host")
    series = services.create_series(host, series_input(), today=TODAY)
    member = make_user()
    events.set_rsvp(member, instances(series)[5].id, "going")
    services.update_series(
        host, series.id, series_input(start_time="18:30", title="Reading group v2"),
        today=TODAY,
    )  # fmt: skip
    made = instances(series)
    assert all(e.title == "Reading group v2" for e in made)
    assert all(e.starts_at.astimezone(zone("Europe/London")).strftime("%H:%M") == "18:30"
               for e in made)  # fmt: skip
    assert all(e.sequence == 1 for e in made)


def test_changing_the_weekday_cancels_old_dates_and_makes_new(make_user):
    host = make_user(role="host")
    series = services.create_series(host, series_input(), today=TODAY)
    services.update_series(host, series.id, series_input(first_date="2030-03-05"), today=TODAY)
    made = instances(series)
    thursdays = [e for e in made if e.series_date.weekday() == 3]
    tuesdays = [e for e in made if e.series_date.weekday() == 1]
    assert thursdays and all(e.is_cancelled for e in thursdays)
    assert len(tuesdays) == 8 and not any(e.is_cancelled for e in tuesdays)


def test_standing_rsvp_goes_to_new_instances_and_one_week_opt_out_stays(make_user):
    host = make_user(role="host")
    series = services.create_series(host, series_input(capacity=1), today=TODAY)
    member, other = make_user(), make_user()
    made = instances(series)
    events.set_rsvp(member, made[2].id, "not_going")  # already said no to week 3
    services.set_standing(member, series.id, True)
    statuses = [events.rsvp_of(member, e.id).status for e in made]
    assert statuses[:2] == ["going", "going"] and statuses[2] == "not_going"
    services.set_standing(other, series.id, True)
    assert events.rsvp_of(other, made[0].id).status == "waitlisted"
    services.extend(series, TODAY + timedelta(weeks=1))
    db.session.commit()
    new = instances(series)[-1]
    rsvps = {r.user_id: r.status for r in db.session.scalars(
        select(RSVP).where(RSVP.event_id == new.id))}  # fmt: skip
    assert rsvps == {member.id: "going", other.id: "waitlisted"}
    services.set_standing(member, series.id, False)
    assert events.rsvp_of(member, made[0].id).status == "not_going"
    assert events.rsvp_of(other, made[0].id).status == "going"  # promoted


def test_permissions_and_bad_input(make_user):
    with pytest.raises(PermissionDenied):
        services.create_series(make_user(), series_input(), today=TODAY)
    host = make_user(role="host")
    series = services.create_series(host, series_input(), today=TODAY)
    with pytest.raises(PermissionDenied):
        services.update_series(make_user(role="host"), series.id, series_input(), today=TODAY)
    for bad, field in [
        ({"start_time": "25:00"}, "start_time"), ({"interval": 0}, "interval"),
        ({"timezone": "Nowhere/Land"}, "timezone"), ({"first_date": "soon"}, "first_date"),
        ({"duration_minutes": 0}, "duration_minutes"), ({"until": "2030-01-01"}, "until"),
        ({"frequency": "daily"}, "frequency"), ({"horizon_weeks": 500}, "horizon_weeks"),
    ]:  # fmt: skip
        with pytest.raises(ValidationFailed) as info:
            services.create_series(host, series_input(**bad), today=TODAY)
        assert field in info.value.field_errors, bad
    assert db.session.scalar(select(db.func.count()).select_from(Series)) == 1


def test_dst_gap_time_moves_an_hour_later(make_user):
    series = services.create_series(
        make_user(role="host"),
        series_input(start_time="01:30", first_date="2030-03-31", horizon_weeks=2),
        today=date(2030, 3, 30),
    )
    first = instances(series)[0]
    assert first.starts_at == datetime(2030, 3, 31, 1, 30, tzinfo=UTC)  # 02:30 BST


def test_edit_all_future_keeps_what_one_week_changed_by_hand(make_user):
    host = make_user(role="host")
    series = services.create_series(host, series_input(), today=TODAY)
    week = instances(series)[2]
    events.update_event(
        host,
        week.id,
        events.EventInput(
            title="Reading group: Mamba",
            kind="reading-group",
            description="We read *Mamba*.",
            starts_at="2030-03-21T18:00",
            ends_at="2030-03-21T19:30",
            timezone="Europe/London",
            online_url="https://meet.example.org/rg",
        ),  # fmt: skip
    )
    services.update_series(host, series.id, series_input(location="Room 4"), today=TODAY)
    made = instances(series)
    assert all(e.location == "Room 4" for e in made)
    assert made[2].title == "Reading group: Mamba"
    assert "<em>Mamba</em>" in made[2].description_html
    assert utc(made[2]) == "2030-03-21 18:00"  # its moved time stays
    assert made[3].title == "Reading group"


def test_stopping_the_standing_rsvp_keeps_rsvps_made_by_hand(make_user):
    series = services.create_series(make_user(role="host"), series_input(), today=TODAY)
    member = make_user()
    by_hand = instances(series)[1]
    events.set_rsvp(member, by_hand.id, "going")
    counts = services.set_standing(member, series.id, True)
    assert counts == {"going": 8, "waitlisted": 0}
    services.set_standing(member, series.id, False)
    statuses = [events.rsvp_of(member, e.id).status for e in instances(series)]
    assert statuses[1] == "going"
    assert statuses.count("not_going") == 7


def test_monthly_first_date_moves_to_the_first_that_fits(make_user):
    # 7 March 2030 is the first Thursday; "last Thursday" starts on 28 March.
    series = services.create_series(
        make_user(role="host"),
        series_input(frequency="monthly", monthly_week="last", first_date="2030-03-07"),
        today=TODAY,
    )
    assert series.first_date == date(2030, 3, 28)
    assert [e.series_date for e in instances(series)][:2] == [date(2030, 3, 28), date(2030, 4, 25)]
