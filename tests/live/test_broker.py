"""The in-process broker: fan-out, replay on reconnect, resync when replay is impossible."""

import threading
import time

from mlc_events.live.broker import RESYNC, InProcessBroker


def test_every_subscriber_of_a_channel_gets_each_message_once():
    broker = InProcessBroker()
    a, _ = broker.subscribe("event-1")
    b, _ = broker.subscribe("event-1")
    other, _ = broker.subscribe("event-2")
    message = broker.publish("event-1", "<p>hi</p>")
    assert a.get(0.1) == message and b.get(0.1) == message
    assert other.get(0.01) is None
    assert a.get(0.01) is None


def test_reconnect_replays_what_was_missed():
    broker = InProcessBroker()
    first = broker.publish("event-1", "one")
    broker.publish("event-2", "elsewhere")
    second = broker.publish("event-1", "two")
    third = broker.publish("event-1", "three")
    _, backlog = broker.subscribe("event-1", first.id)
    assert backlog == [second, third]
    _, backlog = broker.subscribe("event-1", third.id)
    assert backlog == []


def test_unknown_epoch_or_a_gap_asks_for_a_resync():
    broker = InProcessBroker(replay=3)
    first = broker.publish("event-1", "one")
    for n in range(5):
        broker.publish("event-1", f"more {n}")
    _, backlog = broker.subscribe("event-1", first.id)  # fell out of the log
    assert [m.event for m in backlog] == [RESYNC]
    _, backlog = broker.subscribe("event-1", "0-12")  # another server process's life
    assert [m.event for m in backlog] == [RESYNC]


def test_unsubscribe_and_slow_readers():
    broker = InProcessBroker()
    sub, _ = broker.subscribe("event-1")
    assert broker.count("event-1") == 1
    for n in range(300):
        broker.publish("event-1", str(n))
    assert sub.dropped  # a reader this far behind is told to resync, memory stays bounded
    broker.unsubscribe(sub)
    assert broker.count("event-1") == 0


def test_messages_encode_as_server_sent_events():
    message = InProcessBroker().publish("event-1", "<p>a</p>\n<p>b</p>")
    assert message.wire == (f"id: {message.id}\ndata: <p>a</p>\ndata: <p>b</p>\n\n".encode())


def test_a_stream_takes_everything_waiting_at_once_and_wakes_on_a_message_or_close():
    broker = InProcessBroker()
    sub, _ = broker.subscribe("event-1")
    sent = [broker.publish("event-1", str(n)) for n in range(3)]
    assert sub.drain(0.1) == sent  # one write for what a burst left, in order
    started = time.monotonic()
    assert sub.drain(0.05) == []  # nothing within the heartbeat: the stream sends a ping
    assert time.monotonic() - started >= 0.04

    later = []
    reader = threading.Thread(target=lambda: later.append(sub.drain(5)))
    reader.start()
    time.sleep(0.05)
    message = broker.publish("event-1", "wake up")
    reader.join(2)
    assert later == [[message]]

    reader = threading.Thread(target=lambda: later.append(sub.drain(5)))
    reader.start()
    time.sleep(0.05)
    assert broker.close_streams() == 1
    reader.join(2)
    assert not reader.is_alive() and later[-1] == [] and sub.closed


def test_one_broadcast_wakes_every_waiting_stream_of_the_channel():
    broker = InProcessBroker()
    subs = [broker.subscribe("event-1")[0] for _ in range(5)]
    elsewhere, _ = broker.subscribe("event-2")
    got = {}
    readers = [
        threading.Thread(target=lambda s=s: got.__setitem__(s, s.drain(5)))
        for s in [*subs, elsewhere]
    ]
    for reader in readers:
        reader.start()
    time.sleep(0.05)
    message = broker.publish("event-1", "to all")
    for reader in readers[:-1]:
        reader.join(2)
    assert [got.get(s) for s in subs] == [[message]] * 5
    assert readers[-1].is_alive()  # the other channel's stream still waits
    broker.publish("event-2", "bye")
    readers[-1].join(2)
    for sub in [*subs, elsewhere]:
        broker.unsubscribe(sub)
    assert broker.signals == {}
