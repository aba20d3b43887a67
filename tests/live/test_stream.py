"""The event stream over real HTTP: connect, live fragments, reconnect without loss, privacy."""

from __future__ import annotations

import html
import http.client
import re
import time
import urllib.request
from urllib.parse import urlsplit

import pytest

from mlc_events.jams import services as jams
from mlc_events.live.services import stop_live
from tests.browser.harness import LiveServer


class Stream:
    """A raw SSE reader on a real socket."""

    def __init__(self, base: str, path: str, headers: dict | None = None):
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        self.conn.request("GET", path, headers=headers or {})
        self.response = self.conn.getresponse()

    def next_event(self, timeout: float = 5.0) -> dict:
        """The next message (comments and pings skipped)."""
        deadline = time.monotonic() + timeout
        event: dict = {}
        while time.monotonic() < deadline:
            line = self.response.fp.readline().decode().rstrip("\n")
            if not line:
                if event.get("data") is not None or event.get("event"):
                    return event
                continue
            if line.startswith(":"):
                event.setdefault("comments", []).append(line)
                continue
            field, _, value = line.partition(": ")
            if field == "data":
                event["data"] = (event.get("data", "") + "\n" + value).lstrip("\n")
            else:
                event[field] = value
        raise AssertionError("no event within the timeout")

    def close(self):
        self.conn.close()


@pytest.fixture
def server(app):
    app.config["LIVE_HEARTBEAT"] = 1
    with LiveServer(app) as live:
        yield live.url


def test_a_vote_reaches_an_open_stream_as_the_shared_tally(server, make_jam, make_pitch,
                                                            make_user):  # fmt: skip
    jam = make_jam()
    pitch = make_pitch(jam)
    stream = Stream(server, f"/events/{jam.id}/stream")
    try:
        assert stream.response.status == 200
        assert stream.response.getheader("Content-Type").startswith("text/event-stream")
        assert stream.response.getheader("Cache-Control") == "no-cache"
        assert stream.response.readline() == b": connected\n"
        jams.cast_vote(make_user(), pitch.id, True)
        message = stream.next_event()
        assert f'<hx-partial hx-target="#tally-{pitch.id}" hx-swap="outerHTML">' in message["data"]
        assert "1 vote" in message["data"]
        assert message["id"]
    finally:
        stream.close()


def test_reconnect_with_last_event_id_gets_what_was_missed(server, make_jam, make_pitch,
                                                            make_user):  # fmt: skip
    jam = make_jam()
    pitch = make_pitch(jam)
    first = Stream(server, f"/events/{jam.id}/stream")
    first.response.readline()
    jams.cast_vote(make_user(), pitch.id, True)
    seen = first.next_event()
    first.close()  # the phone went into a tunnel...
    jams.cast_vote(make_user(), pitch.id, True)
    jams.add_comment(make_user(), pitch_id=pitch.id, body="Count me in")
    again = Stream(server, f"/events/{jam.id}/stream", {"Last-Event-ID": seen["id"]})
    try:
        again.response.readline()
        tally, comment = again.next_event(), again.next_event()
        assert "2 votes" in tally["data"]
        assert "Count me in" in comment["data"] and "<hx-upsert" in comment["data"]
    finally:
        again.close()


def test_an_unknown_last_event_id_gets_a_resync(server, make_jam):
    jam = make_jam()
    stream = Stream(server, f"/events/{jam.id}/stream", {"Last-Event-ID": "ffff-3"})
    try:
        stream.response.readline()
        assert stream.next_event()["event"] == "resync"
    finally:
        stream.close()


def test_hidden_tallies_stay_hidden_in_the_stream(server, make_jam, make_pitch, make_user,
                                                   configure):  # fmt: skip
    jam = make_jam()
    pitch = make_pitch(jam)
    configure(jam, tallies_visible=False)
    stream = Stream(server, f"/events/{jam.id}/stream")
    try:
        stream.response.readline()
        jams.cast_vote(make_user(), pitch.id, True)
        data = stream.next_event()["data"]
        assert "Votes hidden" in data
        assert "1 vote" not in data
    finally:
        stream.close()


def test_members_only_jam_streams_only_to_members(server, make_jam):
    jam = make_jam(visibility="members")
    stream = Stream(server, f"/events/{jam.id}/stream")
    assert stream.response.status == 401
    stream.close()
    missing = Stream(server, "/events/98765/stream")
    assert missing.response.status == 404
    missing.close()


def test_heartbeat_keeps_the_connection_alive(server, make_jam):
    jam = make_jam()
    stream = Stream(server, f"/events/{jam.id}/stream")
    try:
        assert stream.response.readline() == b": connected\n"
        stream.response.readline()
        assert stream.response.readline() == b": ping\n"
    finally:
        stream.close()


def test_a_broker_that_fails_gives_a_503_not_a_500(app, make_jam, client):
    class Down:
        closing = False

        def subscribe(self, *args):
            raise ConnectionError("redis is down")

        def last_id(self, channel):
            raise ConnectionError("redis is down")

    app.extensions["broker"] = Down()
    jam = make_jam()
    response = client.get(f"/events/{jam.id}/stream")
    assert response.status_code == 503
    assert "Live updates are unavailable" in response.get_data(as_text=True)
    page = client.get(f"/events/{jam.id}")  # the page itself still works
    assert page.status_code == 200
    assert f'hx-sse:connect="/events/{jam.id}/stream"' in page.get_data(as_text=True)


def test_stopping_ends_open_streams_at_once_and_refuses_new_ones(server, app, make_jam):
    jam = make_jam()
    streams = [Stream(server, f"/events/{jam.id}/stream") for _ in range(3)]
    for stream in streams:
        assert stream.response.readline() == b": connected\n"
    started = time.monotonic()
    assert stop_live(app) == 3
    for stream in streams:
        assert stream.response.read() == b"\n"  # the rest of ": connected", then the end
        stream.close()
    assert time.monotonic() - started < 1
    late = Stream(server, f"/events/{jam.id}/stream")
    assert late.response.status == 503
    late.close()


@pytest.mark.parametrize("page", ["jam", "pitch"])
def test_a_change_between_page_load_and_stream_connect_still_arrives(
    server, make_jam, make_pitch, make_user, page
):
    jam = make_jam()
    pitch = make_pitch(jam)
    jams.cast_vote(make_user(), pitch.id, True)  # before the page: in the page, not replayed
    path = f"/events/{jam.id}" if page == "jam" else f"/pitches/{pitch.id}"
    with urllib.request.urlopen(server + path) as response:
        body = response.read().decode()
    stream_url = html.unescape(re.search(r'hx-sse:connect="([^"]+)"', body)[1])
    assert "since=" in stream_url
    jams.cast_vote(make_user(), pitch.id, True)  # after the page was read, before it connects
    stream = Stream(server, stream_url)
    try:
        stream.response.readline()
        message = stream.next_event()
        assert "2 votes" in message["data"] and "1 vote<" not in message["data"]
    finally:
        stream.close()
