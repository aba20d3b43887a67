"""``events import``: Google, Luma and Outlook exports, re-imports, bad input, the command."""

from __future__ import annotations

import http.server
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from mlc_events.errors import ValidationFailed
from mlc_events.events.models import RSVP, Event
from mlc_events.extensions import db
from mlc_events.imports import services
from mlc_events.imports.services import NotICalendar, find_host, import_calendar
from mlc_events.notices.models import Notice
from mlc_events.outbox.models import OutgoingMail
from tests.conftest import both_backends

pytestmark = both_backends

DATA = Path(__file__).parent / "data"
NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
SERIES_UID = "7kukuqrfedlm2f4vq2n1o2eq8e@google.com"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def events(**where) -> list[Event]:
    db.session.expire_all()
    query = select(Event).order_by(Event.starts_at, Event.id)
    for key, value in where.items():
        query = query.where(getattr(Event, key) == value)
    return list(db.session.scalars(query))


def count_events() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Event))


def by_title(title: str) -> Event:
    (event,) = events(title=title)
    return event


@pytest.fixture
def host(make_user):
    return make_user(email="host@example.org", role="host", timezone="America/New_York")


def run(name_or_bytes, host, kind="talk", now=NOW):
    raw = data(name_or_bytes) if isinstance(name_or_bytes, str) else name_or_bytes
    return import_calendar(raw, kind, host, now=now)


# --- a Google Calendar export --------------------------------------------------------------


def test_google_export_is_imported(host):
    report = run("google.ics", host, kind="reading-group")

    assert (report.created, report.updated, report.unchanged, report.skipped) == (10, 0, 0, [])
    assert report.calendar_name == "MLC London"
    assert count_events() == 10
    for event in events():
        assert event.kind == "reading-group"
        assert [h.email for h in event.hosts] == ["host@example.org"]
        assert event.uid.endswith("@mlc-events")  # our own UID, not the source's
        assert event.source_uid.endswith("@google.com")


def test_google_single_event_uses_the_calendar_zone_and_hides_the_meet_link(host):
    run("google.ics", host)
    talk = by_title("Talk: scaling laws")
    # Google writes UTC times and means them in X-WR-TIMEZONE.
    assert talk.timezone == "Europe/London"
    assert (iso(talk.starts_at), iso(talk.ends_at)) == ("2027-02-10T18:00Z", "2027-02-10T19:30Z")
    assert talk.source_recurrence_id == ""
    assert talk.online_url == "https://meet.google.com/abc-defg-hij"
    assert talk.location == ""
    # The description is public: Google's Meet block does not survive the import.
    assert talk.description == "A talk on scaling laws."
    assert "meet.google.com" not in talk.description_html


def test_google_html_description_becomes_markdown(host):
    run("google.ics", host)
    first = events(source_uid=SERIES_UID)[0]
    assert first.description == (
        "Paper: [Attention is all you need](https://arxiv.org/abs/1706.03762)  \n"
        "Bring **questions**!"
    )
    assert '<a href="https://arxiv.org/abs/1706.03762"' in first.description_html
    assert "<strong>questions</strong>" in first.description_html
    assert first.location == "Room 4.02, Bush House, London"


def test_weekly_series_keeps_its_wall_clock_across_the_dst_change(host):
    run("google.ics", host)
    series = events(source_uid=SERIES_UID)
    assert [iso(e.starts_at) for e in series] == [
        "2027-03-01T17:00Z",
        "2027-03-08T17:00Z",
        # 15 March: EXDATE. 22 March: moved to Tuesday 23 March, 18:00.
        "2027-03-23T18:00Z",
        # Clocks go forward on 28 March: still 17:00 in London, 16:00 UTC.
        "2027-03-29T16:00Z",
        "2027-04-05T16:00Z",
        "2027-04-12T16:00Z",
        "2027-04-19T16:00Z",
    ]
    assert {e.timezone for e in series} == {"Europe/London"}
    assert all((e.ends_at - e.starts_at).total_seconds() == 90 * 60 for e in series)


def test_moved_instance_keeps_its_recurrence_id_and_the_exdate_is_gone(host):
    run("google.ics", host)
    series = events(source_uid=SERIES_UID)
    assert [e.source_recurrence_id for e in series] == [
        "20270301T170000Z",
        "20270308T170000Z",
        "20270322T170000Z",
        "20270329T160000Z",
        "20270405T160000Z",
        "20270412T160000Z",
        "20270419T160000Z",
    ]
    moved = series[2]
    assert iso(moved.starts_at) == "2027-03-23T18:00Z"
    assert moved.description == "Moved to Tuesday this week."
    assert not [e for e in series if e.starts_at.date().isoformat() in ("2027-03-15", "2027-03-22")]
    assert not [e for e in series if "20270315" in e.source_recurrence_id]


def test_all_day_event_runs_midnight_to_midnight_in_the_calendar_zone(host):
    run("google.ics", host)
    day = by_title("Community hack day")
    assert day.timezone == "Europe/London"
    # 5 April 2027 in London (BST): 23:00 UTC the day before, for 24 hours.
    assert (iso(day.starts_at), iso(day.ends_at)) == ("2027-04-04T23:00Z", "2027-04-05T23:00Z")
    assert day.source_recurrence_id == ""


def test_all_day_event_without_a_calendar_zone_uses_the_hosts_zone(host):
    ics = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:day@t\r\n"
        b"DTSTART;VALUE=DATE:20270601\r\nSUMMARY:Offsite\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert run(ics, host).created == 1
    day = by_title("Offsite")
    assert day.timezone == "America/New_York"
    assert (iso(day.starts_at), iso(day.ends_at)) == ("2027-06-01T04:00Z", "2027-06-02T04:00Z")
    assert day.location == "See description"


def test_cancelled_event_is_imported_as_cancelled(host):
    run("google.ics", host)
    social = by_title("Winter social")
    assert social.status == "cancelled"
    assert social.cancelled_at == NOW
    assert iso(social.starts_at) == "2027-02-20T19:00Z"


# --- re-importing --------------------------------------------------------------------------


def test_reimport_changes_nothing_and_keeps_our_uids(host):
    run("google.ics", host)
    before = {(e.source_uid, e.source_recurrence_id): (e.id, e.uid) for e in events()}

    report = run("google.ics", host)

    assert (report.created, report.updated, report.unchanged, report.skipped) == (0, 0, 10, [])
    after = {(e.source_uid, e.source_recurrence_id): (e.id, e.uid) for e in events()}
    assert after == before
    assert {e.sequence for e in events()} == {0}


def changed_google() -> bytes:
    """The series with 5 April moved to Wednesday 18:00 and 12 April dropped (EXDATE)."""
    text = data("google.ics").decode()
    text = text.replace(
        "EXDATE;TZID=Europe/London:20270315T170000",
        "EXDATE;TZID=Europe/London:20270315T170000,20270412T170000",
    )
    moved = (
        "BEGIN:VEVENT\r\n"
        "DTSTART;TZID=Europe/London:20270407T180000\r\n"
        "DTEND;TZID=Europe/London:20270407T193000\r\n"
        "DTSTAMP:20270201T120000Z\r\n"
        f"UID:{SERIES_UID}\r\n"
        "RECURRENCE-ID;TZID=Europe/London:20270405T170000\r\n"
        "LOCATION:Room 4.02\\, Bush House\\, London\r\n"
        "SEQUENCE:1\r\n"
        "SUMMARY:Reading group: weekly paper\r\n"
        "END:VEVENT\r\n"
    )
    return text.replace("END:VCALENDAR", moved + "END:VCALENDAR").encode()


def test_reimport_of_a_changed_file_updates_and_cancels(host, make_user):
    run("google.ics", host)
    ids = {e.source_recurrence_id: e.id for e in events(source_uid=SERIES_UID)}
    member = make_user(email="member@example.org")
    db.session.add(RSVP(event_id=ids["20270412T160000Z"], user_id=member.id, status="going"))
    db.session.add(RSVP(event_id=ids["20270405T160000Z"], user_id=member.id, status="going"))
    db.session.commit()

    report = run(changed_google(), host)

    assert (report.created, report.updated, report.unchanged, report.skipped) == (0, 2, 8, [])
    moved = db.session.get(Event, ids["20270405T160000Z"])
    assert iso(moved.starts_at) == "2027-04-07T17:00Z"
    assert moved.sequence == 1
    assert moved.status == "scheduled"
    assert moved.updated_at == NOW
    dropped = db.session.get(Event, ids["20270412T160000Z"])
    assert dropped.status == "cancelled"
    assert dropped.sequence == 1
    assert dropped.cancelled_at == NOW
    # The member going to the dropped week hears about it.
    notices = list(db.session.scalars(select(Notice).where(Notice.user_id == member.id)))
    assert [n.body for n in notices] == ["Reading group: weekly paper was cancelled."]
    mails = db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id))
    assert sorted((m.to, m.subject, m.ics_method) for m in mails) == [
        ("member@example.org", "Cancelled: Reading group: weekly paper", "CANCEL"),
        ("member@example.org", "Updated: Reading group: weekly paper", "REQUEST"),
    ]
    untouched = db.session.get(Event, ids["20270301T170000Z"])
    assert untouched.sequence == 0

    # And once more: the file has not changed since.
    again = run(changed_google(), host)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 9)
    assert count_events() == 10


def test_reimport_does_not_revive_an_event_cancelled_here(host):
    run("google.ics", host)
    talk = by_title("Talk: scaling laws")
    talk.status = "cancelled"
    db.session.commit()
    changed = data("google.ics").replace(b"DTSTART:20270210T180000Z", b"DTSTART:20270210T173000Z")

    report = run(changed, host)

    assert report.updated == 0
    assert report.skipped == [
        (
            '"Talk: scaling laws" (UID 3q0b6o2vdv6k0fsu1nq7k9s0c4@google.com)',
            "it was cancelled here, so the changes in the file were not applied",
        )
    ]
    assert iso(by_title("Talk: scaling laws").starts_at) == "2027-02-10T18:00Z"


def test_one_failing_event_does_not_stop_the_others(host, monkeypatch):
    real_create = services._create

    def create(uid, *args):
        if uid == "3q0b6o2vdv6k0fsu1nq7k9s0c4@google.com":
            raise IntegrityError("INSERT", {}, Exception("simulated"))
        return real_create(uid, *args)

    monkeypatch.setattr(services, "_create", create)
    report = run("google.ics", host)

    assert report.created == 9
    assert report.skipped == [
        (
            '"Talk: scaling laws" (UID 3q0b6o2vdv6k0fsu1nq7k9s0c4@google.com)',
            "it could not be saved (IntegrityError)",
        )
    ]
    assert count_events() == 9


# --- a Luma export -------------------------------------------------------------------------


def test_luma_export(host):
    report = run("luma.ics", host)
    assert (report.created, report.skipped) == (3, [])

    jam = by_title("Research jam: diffusion models")
    assert jam.timezone == "UTC"
    assert (iso(jam.starts_at), iso(jam.ends_at)) == ("2027-02-04T18:00Z", "2027-02-04T20:00Z")
    assert jam.location == "Google London, 6 Pancras Square, London N1C 4AG, UK"
    assert jam.online_url == ""  # a Luma page is not a meeting link
    assert jam.description.startswith("Get up-to-date information at: https://lu.ma/diffjam")

    online = by_title("Online talk: sparse autoencoders")
    assert online.online_url == "https://us06web.zoom.us/j/81234567890?pwd=aBcDeF"
    assert online.location == ""  # the Zoom link is not shown to everyone as the place

    tba = by_title("Place to be announced")
    assert tba.location == "See description"
    assert tba.description == "Event page: https://lu.ma/tba"
    assert (iso(tba.starts_at), iso(tba.ends_at)) == ("2027-03-01T12:00Z", "2027-03-01T12:45Z")


# --- bad input -----------------------------------------------------------------------------


def test_bad_events_are_skipped_with_reasons_and_the_rest_imported(host):
    report = run("bad.ics", host)

    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert report.skipped == [
        ('"Event without a start" (UID no-start@example.org)', "it has no start time (DTSTART)"),
        (
            '"Meeting on Mars" (UID mars@example.org)',
            "its time zone 'Mars/Olympus' is unknown (not an IANA zone such as "
            "Europe/London, nor a Windows zone name)",
        ),
        (
            '"Backwards event" (UID backwards@example.org)',
            "it ends (2027-02-11 14:00 UTC) before it starts (2027-02-11 15:00 UTC)",
        ),
    ]
    # Outlook's Windows zone name is mapped to its IANA zone.
    berlin = by_title("Lab meeting in Berlin")
    assert berlin.timezone == "Europe/Berlin"
    assert iso(berlin.starts_at) == "2027-02-10T13:00Z"
    # A floating time is read as UTC, and the report says so.
    breakfast = by_title("Floating breakfast")
    assert (breakfast.timezone, iso(breakfast.starts_at)) == ("UTC", "2027-02-12T09:00Z")
    assert iso(breakfast.ends_at) == "2027-02-12T10:00Z"  # no end: one hour
    assert report.notes == [
        "Times without a time zone (floating) were read as UTC: "
        '"Floating breakfast" (UID floating@example.org).'
    ]


def test_odd_but_readable_events(host):
    report = run("odd.ics", host)

    assert report.created == 3 + 3 + 1 + 1
    assert report.skipped == [
        (
            '"Bad rule" (UID bad-rule@example.org)',
            "its RRULE could not be read (Expected frequency, got: SOMETIMES)",
        ),
        ('"Old copy" (UID twice@example.org)', "another event with the same UID replaces it"),
    ]
    # A recurring all-day event: one event a day, keyed by date.
    days = events(source_uid="conference@example.org")
    assert [e.source_recurrence_id for e in days] == ["20270301", "20270302", "20270303"]
    assert [iso(e.starts_at) for e in days] == [
        # No calendar zone: the host's (New York).
        "2027-03-01T05:00Z",
        "2027-03-02T05:00Z",
        "2027-03-03T05:00Z",
    ]
    # RDATEs; a Teams link in the description is the online link, and hidden from the text.
    teams = events(source_uid="rdates@example.org")
    assert [iso(e.starts_at) for e in teams] == [
        "2027-03-01T10:00Z",
        "2027-03-10T10:00Z",
        "2027-03-20T10:00Z",
    ]
    assert teams[0].online_url == (
        "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc/0?context=x"
    )
    assert teams[0].description == "Join: (online link)\nSee you there."
    assert teams[0].location == ""
    # Lightning's vendor-prefixed zone name.
    paris = by_title("Lightning zone")
    assert (paris.timezone, iso(paris.starts_at)) == ("Europe/Paris", "2027-03-04T09:00Z")
    # Of two copies of one UID, the higher SEQUENCE wins.
    assert by_title("New copy").source_recurrence_id == ""


def test_not_icalendar_is_refused(host):
    with pytest.raises(NotICalendar, match="not an iCalendar file"):
        run("not_ical.ics", host)
    with pytest.raises(NotICalendar):
        run(b"", host)
    assert count_events() == 0


def test_nothing_read_when_every_event_is_bad(host):
    report = run("all_bad.ics", host)
    assert report.imported == 0
    assert len(report.skipped) == 2
    assert report.nothing_read


def test_series_outside_the_window_is_skipped_with_a_reason(host):
    report = run("google.ics", host, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert report.created == 3  # the single events, whatever their date
    assert report.skipped == [
        (
            f'"Reading group: weekly paper" (UID {SERIES_UID})',
            "it has no occurrence between 2029-10-03 and 2031-01-01",
        )
    ]


def test_kind_and_host_are_checked(host, make_user):
    with pytest.raises(ValidationFailed, match="Unknown kind 'party'"):
        run("google.ics", host, kind="party")
    with pytest.raises(ValidationFailed, match="No member has the email nobody@example.org"):
        find_host("nobody@example.org")
    with pytest.raises(ValidationFailed, match="There is no admin"):
        find_host(None)
    make_user(email="member@example.org")
    with pytest.raises(ValidationFailed, match="is a member, not a host"):
        find_host("Member@Example.org")
    admin = make_user(email="admin@example.org", role="admin")
    assert find_host(None).id == admin.id
    assert find_host("HOST@example.org").id == host.id
    assert count_events() == 0


# --- the command ---------------------------------------------------------------------------


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: NOW)


def invoke(runner, *args: str):
    return runner.invoke(args=["events", "import", *args])


def test_cli_imports_and_reimports(runner, make_user, frozen):
    admin = make_user(email="admin@example.org", role="admin")
    result = invoke(runner, str(DATA / "google.ics"), "--kind", "reading-group")
    assert result.exit_code == 0, result.output
    assert "Importing events" in result.output
    assert (
        f'Imported "MLC London" from {DATA / "google.ics"} for admin@example.org: '
        "10 created, 0 updated, 0 unchanged, 0 skipped." in result.output
    )
    assert {e.kind for e in events()} == {"reading-group"}
    assert {h.id for e in events() for h in e.hosts} == {admin.id}

    again = invoke(runner, str(DATA / "google.ics"))
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 10 unchanged, 0 skipped." in again.output
    assert count_events() == 10


def test_cli_prints_each_skip_reason(runner, make_user, frozen):
    make_user(email="admin@example.org", role="admin")
    result = invoke(runner, str(DATA / "bad.ics"))
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged, 3 skipped." in result.output
    assert "Skipped:" in result.output
    assert (
        '  - "Event without a start" (UID no-start@example.org): it has no start time (DTSTART)'
        in result.output
    )
    assert "\"Meeting on Mars\" (UID mars@example.org): its time zone 'Mars/Olympus'" in (
        result.output
    )
    assert '"Backwards event" (UID backwards@example.org): it ends' in result.output
    assert "Note: Times without a time zone (floating) were read as UTC" in result.output


def test_cli_exits_1_when_nothing_could_be_read(runner, make_user, frozen):
    make_user(email="admin@example.org", role="admin")

    not_ical = invoke(runner, str(DATA / "not_ical.ics"))
    assert not_ical.exit_code == 1
    assert "This file is not an iCalendar file" in not_ical.output

    missing = invoke(runner, str(DATA / "missing.ics"))
    assert missing.exit_code == 1
    assert f"There is no file {DATA / 'missing.ics'}." in missing.output

    all_bad = invoke(runner, str(DATA / "all_bad.ics"))
    assert all_bad.exit_code == 1
    assert "0 created, 0 updated, 0 unchanged, 2 skipped." in all_bad.output
    assert "nothing could be imported" in all_bad.output
    assert "Traceback" not in not_ical.output + missing.output + all_bad.output
    assert count_events() == 0


def test_cli_checks_kind_and_host(runner, make_user, frozen):
    make_user(email="member@example.org")
    no_admin = invoke(runner, str(DATA / "luma.ics"))
    assert no_admin.exit_code == 1
    assert "There is no admin to host the imported events: pass --host EMAIL." in no_admin.output

    make_user(email="hugo@example.org", role="host")
    bad_kind = invoke(
        runner, str(DATA / "luma.ics"), "--kind", "party", "--host", "hugo@example.org"
    )
    assert bad_kind.exit_code == 1
    assert "Unknown kind 'party': choose one of reading-group, research-jam" in bad_kind.output

    unknown = invoke(runner, str(DATA / "luma.ics"), "--host", "nobody@example.org")
    assert unknown.exit_code == 1
    assert "No member has the email nobody@example.org." in unknown.output

    member = invoke(runner, str(DATA / "luma.ics"), "--host", "member@example.org")
    assert member.exit_code == 1
    assert "member@example.org is a member, not a host" in member.output
    assert count_events() == 0

    ok = invoke(runner, str(DATA / "luma.ics"), "--kind", "social", "--host", "HUGO@example.org")
    assert ok.exit_code == 0, ok.output
    assert [(e.kind, e.hosts[0].email) for e in events()] == [("social", "hugo@example.org")] * 3


@pytest.fixture
def ics_server():
    """A local HTTP server: /calendar.ics is the Luma export, anything else is a 404."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.path == "/calendar.ics":
                body = data("luma.ics")
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_cli_imports_from_a_url(runner, make_user, frozen, ics_server):
    make_user(email="admin@example.org", role="admin")
    result = invoke(runner, f"{ics_server}/calendar.ics")
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged, 0 skipped." in result.output

    not_found = invoke(runner, f"{ics_server}/nope.ics")
    assert not_found.exit_code == 1
    assert f"Could not download {ics_server}/nope.ics: the server answered 404" in (
        not_found.output
    )


def test_cli_reports_a_failed_download(runner, make_user, frozen):
    make_user(email="admin@example.org", role="admin")
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = invoke(runner, f"http://127.0.0.1:{port}/calendar.ics")
    assert result.exit_code == 1
    assert f"Could not download http://127.0.0.1:{port}/calendar.ics:" in result.output
    assert "Traceback" not in result.output
