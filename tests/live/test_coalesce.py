"""Bursts of live updates are folded: the first goes out at once, the rest as one message of
the latest state when the window ends; an older version never replaces a newer one."""

from __future__ import annotations

import re
import time

from mlc_events.jams import services as jams
from mlc_events.live.broker import InProcessBroker
from mlc_events.live.coalesce import Coalescer, Part
from mlc_events.live.services import channel

WINDOW = 0.3


def messages(broker: InProcessBroker, name: str = "c") -> list[str]:
    return [m.data for m in broker.logs.get(name, ())]


def settle(coalescer: Coalescer) -> None:
    time.sleep(coalescer.window * 1.5)


def test_first_change_goes_at_once_the_rest_folded_into_one_message():
    broker = InProcessBroker()
    coalescer = Coalescer(broker, WINDOW)
    coalescer.submit("c", [Part("<a1>", key="a", version=1)])
    assert messages(broker) == ["<a1>"]  # at once, no waiting
    coalescer.submit("c", [Part("<a2>", key="a", version=2), Part("<new-1>")])
    coalescer.submit("c", [Part("<b3>", key="b", version=3), Part("<new-2>")])
    coalescer.submit("c", [Part("<a4>", key="a", version=4)])
    assert messages(broker) == ["<a1>"]  # the rest waits for the window's end
    settle(coalescer)
    # One message: the latest of each key, in the order keys first appeared; every unkeyed part.
    assert messages(broker) == ["<a1>", "<a4><new-1><b3><new-2>"]
    assert coalescer.broadcasts == 2


def test_an_older_version_never_replaces_a_newer_one():
    broker = InProcessBroker()
    coalescer = Coalescer(broker, WINDOW)
    coalescer.submit("c", [Part("<first>")])
    coalescer.submit("c", [Part("<a7>", key="a", version=7)])
    coalescer.submit("c", [Part("<a5>", key="a", version=5)])  # a request that committed earlier
    coalescer.submit("c", [Part("<a7-again>", key="a", version=7)])  # same version: same state
    settle(coalescer)
    assert messages(broker) == ["<first>", "<a7-again>"]


def test_after_a_quiet_window_the_next_change_goes_at_once_and_channels_are_independent():
    broker = InProcessBroker()
    coalescer = Coalescer(broker, WINDOW)
    coalescer.submit("c", [Part("<one>")])
    coalescer.submit("d", [Part("<other channel>")])
    assert messages(broker, "d") == ["<other channel>"]
    time.sleep(WINDOW * 1.2)
    coalescer.submit("c", [Part("<two>")])
    assert messages(broker) == ["<one>", "<two>"]


def test_a_window_of_zero_sends_every_change():
    broker = InProcessBroker()
    coalescer = Coalescer(broker, 0)
    for n in range(5):
        coalescer.submit("c", [Part(f"<{n}>", key="a", version=n)])
    assert messages(broker) == [f"<{n}>" for n in range(5)]


def test_flush_all_sends_what_waits_at_once():
    broker = InProcessBroker()
    coalescer = Coalescer(broker, 60)
    coalescer.submit("c", [Part("<one>")])
    coalescer.submit("c", [Part("<two>")])
    coalescer.flush_all()
    assert messages(broker) == ["<one>", "<two>"]
    assert not coalescer.pending


def test_a_burst_of_votes_reaches_viewers_as_a_few_messages_of_the_final_tallies(
    app, make_jam, make_pitch, make_user
):
    coalescer = app.extensions["live"]
    coalescer.window = WINDOW
    jam = make_jam()
    pitches = [make_pitch(jam, title=f"Idea {n}") for n in range(3)]
    voters = [make_user() for _ in range(10)]
    start = time.monotonic()
    for voter in voters:
        for pitch in pitches:
            jams.cast_vote(voter, pitch.id, True)
    burst = time.monotonic() - start
    jams.cast_vote(voters[0], pitches[0].id, False)
    settle(coalescer)
    log = messages(app.extensions["broker"], channel(jam.id))
    # 31 votes; at most one message per window (plus the first) reached the stream.
    assert 2 <= len(log) <= 2 + int(burst / WINDOW) + 1 < 31
    last = {}
    for data in log:
        for pitch_id, version, shown in re.findall(
            r'<span id="tally-(\d+)" class="tally" data-version="(\d+)">([^<]*)</span>', data
        ):
            last[int(pitch_id)] = (int(version), shown)
    assert last == {
        pitches[0].id: (31, "9 votes"),  # the taken-back vote, the 31st change
        pitches[1].id: (29, "10 votes"),  # the last voter's second vote
        pitches[2].id: (30, "10 votes"),
    }
