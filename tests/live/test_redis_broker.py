"""The Redis broker: two instances on one Redis stand for two server processes.

Runs where TEST_REDIS_URL is set (CI: redis://127.0.0.1:6379/15). Each test uses its own key
prefix and client name, and deletes only its own keys: other tests may share the database.
"""

from __future__ import annotations

import os
import time
import uuid
from http.cookiejar import CookieJar
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener

import pytest

from mlc_events import create_app
from mlc_events.extensions import db
from mlc_events.live import services as live
from mlc_events.live.broker import RESYNC
from tests.browser.harness import LiveServer
from tests.conftest import PASSWORD, _config
from tests.live.test_stream import Stream

REDIS_URL = os.environ.get("TEST_REDIS_URL")

pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="TEST_REDIS_URL is not set: Redis broker tests skipped"
)


@pytest.fixture
def names():
    """A key prefix and a client name of this test's own; its keys are deleted after."""
    import redis

    tag = uuid.uuid4().hex[:12]
    prefix, client_name = f"mlctest:{tag}:", f"mlctest-{tag}"
    yield prefix, client_name
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def brokers(names):
    """Two brokers on the same Redis: two server processes."""
    from mlc_events.live.redis_broker import RedisBroker

    prefix, client_name = names
    made = [RedisBroker(REDIS_URL, prefix=prefix, client_name=client_name) for _ in range(2)]
    yield made
    for broker in made:
        broker.close()


def wait_for(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met within the timeout")


def test_a_message_published_by_one_process_reaches_the_others_subscribers(brokers):
    a, b = brokers
    on_a, _ = a.subscribe("event-1")
    on_b, _ = b.subscribe("event-1")
    elsewhere, _ = a.subscribe("event-2")
    message = b.publish("event-1", "<p>hi</p>")
    assert on_a.get(2) == message
    assert on_b.get(2) == message
    assert on_a.get(0.1) is None  # once
    assert elsewhere.get(0.1) is None
    assert a.count("event-1") == 1 and a.count("event-2") == 1


def test_ids_are_shared_and_increasing_across_processes(brokers):
    a, b = brokers
    subscription, _ = a.subscribe("event-1")
    published = [(a if n % 2 else b).publish("event-1", f"m{n}") for n in range(10)]
    epochs = {m.id.partition("-")[0] for m in published}
    numbers = [int(m.id.partition("-")[2]) for m in published]
    assert len(epochs) == 1 and epochs == {a.epoch} == {b.epoch}
    assert numbers == list(range(1, 11))
    received = [subscription.get(2) for _ in published]
    assert received == published  # in id order, each once


def test_reconnect_to_the_other_process_replays_what_was_missed(brokers):
    a, b = brokers
    first = a.publish("event-1", "one")
    a.publish("event-2", "elsewhere")
    second = a.publish("event-1", "two", event="tally")
    third = b.publish("event-1", "three")
    subscription, backlog = b.subscribe("event-1", first.id)
    assert backlog == [second, third]
    fourth = a.publish("event-1", "four")
    assert subscription.get(2) == fourth  # no duplicate of the backlog before it
    assert subscription.get(0.1) is None
    _, backlog = a.subscribe("event-1", fourth.id)
    assert backlog == []


def test_unknown_epoch_or_a_gap_asks_for_a_resync(names):
    from mlc_events.live.redis_broker import RedisBroker

    prefix, client_name = names
    broker = RedisBroker(REDIS_URL, prefix=prefix, client_name=client_name, replay=3)
    try:
        first = broker.publish("event-1", "one")
        for n in range(5):
            broker.publish("event-1", f"more {n}")
        _, backlog = broker.subscribe("event-1", first.id)  # fell out of the log
        assert [m.event for m in backlog] == [RESYNC]
        _, backlog = broker.subscribe("event-1", "0-12")  # an epoch Redis no longer has
        assert [m.event for m in backlog] == [RESYNC]
        _, backlog = broker.subscribe("event-1", "nonsense")
        assert [m.event for m in backlog] == [RESYNC]
    finally:
        broker.close()


def test_a_redis_flush_starts_a_new_epoch_and_live_readers_resync(brokers, names):
    a, b = brokers
    prefix, _ = names
    subscription, _ = a.subscribe("event-1")
    old = b.publish("event-1", "before")
    assert subscription.get(2) == old
    keys = list(b.redis.scan_iter(match=f"{prefix}*"))
    b.redis.delete(*keys)  # "our" flush: only this test's keys
    new = b.publish("event-1", "after")
    assert new.id.partition("-")[0] != old.id.partition("-")[0]
    assert new.id.endswith("-1")
    assert subscription.get(2).event == RESYNC
    assert subscription.get(2) == new
    _, backlog = a.subscribe("event-1", old.id)
    assert [m.event for m in backlog] == [RESYNC]


def test_connections_stay_constant_as_subscriptions_grow(brokers, names):
    a, b = brokers
    _, client_name = names

    def connections() -> int:
        clients = a.redis.client_list()
        return sum(1 for c in clients if c.get("name") == client_name)

    a.subscribe("event-1")
    b.subscribe("event-1")
    before = connections()
    assert before <= 4  # per process: one pub/sub listener and a pooled command connection
    subscriptions = [a.subscribe(f"event-{n % 7}")[0] for n in range(200)]
    subscriptions += [b.subscribe("event-1", "0-1")[0] for n in range(200)]
    assert connections() == before
    message = a.publish("event-1", "to all")
    for subscription in subscriptions:
        if subscription.channel == "event-1":
            assert subscription.get(2) == message
    assert connections() == before


def test_a_broker_that_never_streams_opens_no_pubsub_connection(brokers, names):
    a, _ = brokers
    _, client_name = names
    a.publish("event-1", "nobody listens")
    kinds = [c for c in a.redis.client_list() if c.get("name") == client_name]
    assert all(int(c.get("psub", 0)) == 0 for c in kinds)
    assert a._listener is None


def test_the_listener_reconnects_and_catches_up(brokers, names):
    a, b = brokers
    _, client_name = names
    subscription, _ = a.subscribe("event-1")
    first = b.publish("event-1", "one")
    assert subscription.get(2) == first
    # Kill the pub/sub connection from the server side; publish while it is gone.
    for client in a.redis.client_list():
        if client.get("name") == client_name and int(client.get("psub", 0)):
            a.redis.client_kill_filter(_id=client["id"])
    missed = b.publish("event-1", "while away")
    assert subscription.get(5) == missed  # from the log, or live if it was already back
    later = b.publish("event-1", "later")
    assert subscription.get(5) == later
    assert subscription.get(0.2) is None


def test_init_live_picks_the_broker_by_redis_url(app, names):
    from mlc_events.live.broker import InProcessBroker
    from mlc_events.live.redis_broker import RedisBroker

    assert isinstance(app.extensions["broker"], InProcessBroker)
    prefix, _ = names
    app.config.update(REDIS_URL=REDIS_URL, LIVE_REDIS_PREFIX=prefix)
    live.init_live(app)
    broker = app.extensions["broker"]
    assert isinstance(broker, RedisBroker) and broker.prefix == prefix
    assert broker._listener is None  # lazy: no pub/sub until a stream opens


def test_a_vote_through_server_b_reaches_a_stream_on_server_a(app, tmp_path, names, make_jam,
                                                               make_pitch, make_user):  # fmt: skip
    prefix, _ = names
    app.config.update(REDIS_URL=REDIS_URL, LIVE_REDIS_PREFIX=prefix, LIVE_HEARTBEAT=1)
    live.init_live(app)
    jam = make_jam()
    pitch = make_pitch(jam)
    jam_id, pitch_id, voter_email = jam.id, pitch.id, make_user().email
    db.session.commit()  # server A's test session holds no SQLite transaction meanwhile

    # Server B: its own app on the same database file and the same Redis.
    database = tmp_path / "mlc_events.db"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{database}"
    app_b = create_app(
        _config(tmp_path / "b", f"sqlite:///{database}")
        | {"REDIS_URL": REDIS_URL, "LIVE_REDIS_PREFIX": prefix, "WTF_CSRF_ENABLED": False}
    )
    with LiveServer(app) as server_a, LiveServer(app_b) as server_b:
        stream = Stream(server_a.url, f"/events/{jam_id}/stream")
        try:
            assert stream.response.status == 200
            assert stream.response.readline() == b": connected\n"
            # The voter signs in to server B and votes there, over HTTP.
            opener = build_opener(HTTPCookieProcessor(CookieJar()))
            signed_in = opener.open(
                f"{server_b.url}/auth/login",
                urlencode({"email": voter_email, "password": PASSWORD}).encode(),
            )
            assert b"Sign out" in signed_in.read()
            voted = opener.open(
                f"{server_b.url}/pitches/{pitch_id}/vote", urlencode({"vote": "on"}).encode()
            )
            assert voted.status == 200
            message = stream.next_event()
            assert f'hx-target="#tally-{pitch_id}"' in message["data"]
            assert "1 vote" in message["data"]
            assert message["id"].partition("-")[0] == app.extensions["broker"].epoch
        finally:
            stream.close()
    for broker in (app.extensions["broker"], app_b.extensions["broker"]):
        broker.close()
