"""The Redis broker: the same interface as ``InProcessBroker``, for several server processes.

Every process keeps ONE pub/sub connection (a daemon thread, a greenlet under gevent,
started on the first subscribe) on the pattern ``<prefix>msg:*`` and feeds its local
subscriptions from it; viewers never get a Redis connection of their own. Commands go
through a small bounded pool.

Ids stay ``<epoch>-<n>`` and agree across processes: ``n`` comes from
``INCR <prefix>seq:<channel>`` and the epoch is stored once in ``<prefix>epoch``, so a
Redis flush starts a new epoch (and browsers resync). Each channel keeps a replay log
(``<prefix>log:<channel>``, the last ``replay`` messages as JSON ``{n, data, event}``).

Publishing runs one Lua script rather than a MULTI pipeline: the log entry and the pub/sub
payload carry ``n``, which a MULTI cannot read back from its own ``INCR`` before queueing
the ``RPUSH``. A script is atomic just the same, so the log order matches the ids, and
because Redis runs scripts one at a time, pub/sub delivers a channel's messages in id order.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time

import redis

from .broker import RESYNC, Message, Subscribers, Subscription

log = logging.getLogger(__name__)

PUBLISH_SCRIPT = """
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  redis.call('SET', KEYS[1], ARGV[1])
  epoch = ARGV[1]
end
local n = redis.call('INCR', KEYS[2])
redis.call('RPUSH', KEYS[3], cjson.encode({n = n, data = ARGV[2], event = ARGV[3]}))
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[4]), -1)
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[5]))
local id = epoch .. '-' .. n
redis.call('PUBLISH', KEYS[4], cjson.encode({id = id, data = ARGV[2], event = ARGV[3]}))
return id
"""


def _new_epoch() -> str:
    # No "-" in it: ids are split on the first one.
    return f"{int(time.time() * 1000):x}{secrets.token_hex(2)}"


def _number(message_id: str) -> int:
    return int(message_id.partition("-")[2])


class RedisSubscription(Subscription):
    """A local subscription that remembers the last id it was given, to drop duplicates.

    Until ``subscribe`` has read the replay log the subscription is pending: live messages
    wait in ``pending`` and are filtered against the backlog once it is known.
    """

    def __init__(self, channel: str, maxsize: int = 256):
        super().__init__(channel, maxsize)
        self.epoch: str | None = None
        self.last = 0  # the last n delivered (live or in the backlog)
        self.floor = 0  # the log's end when it subscribed: older ones are not its news
        self.pending: list[Message] | None = []

    def offer(self, message: Message) -> None:
        """Deliver a live message unless it is a duplicate or older (call under the lock)."""
        if self.pending is not None:
            self.pending.append(message)
            return
        epoch = message.id.partition("-")[0]
        n = _number(message.id)
        if epoch != self.epoch:
            # Redis lost its state (a flush): the counters restarted, the page must resync.
            self.epoch, self.last, self.floor = epoch, 0, 0
            self.put(Message(f"{epoch}-0", "", RESYNC))
        if n > self.last:
            self.last = n
            self.put(message)

    def activate(self, epoch: str, last: int, floor: int) -> None:
        pending, self.pending = self.pending or [], None
        self.epoch, self.last, self.floor = epoch, last, max(last, floor)
        for message in pending:
            self.offer(message)


class RedisBroker(Subscribers):
    def __init__(
        self,
        url: str,
        prefix: str = "mlc:live:",
        replay: int = 500,
        ttl: int = 86_400,
        client_name: str = "mlc-live",
        max_connections: int = 10,
    ):
        super().__init__()
        self.url = url
        self.prefix = prefix
        self.replay = replay
        self.ttl = ttl
        self.client_name = client_name
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=10,
            decode_responses=True,
            client_name=client_name,
        )
        self.redis = redis.Redis(connection_pool=pool)
        self._publish = self.redis.register_script(PUBLISH_SCRIPT)
        self._listener: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._msg_prefix = f"{prefix}msg:"

    # Keys -------------------------------------------------------------------------------

    def _key(self, kind: str, channel: str = "") -> str:
        return f"{self.prefix}{kind}:{channel}" if channel else f"{self.prefix}{kind}"

    @property
    def epoch(self) -> str:
        """The epoch all processes share; a new one is set if Redis has none."""
        key = self._key("epoch")
        epoch = self.redis.get(key)
        if epoch is None:
            self.redis.set(key, _new_epoch(), nx=True)
            epoch = self.redis.get(key)
        return epoch

    # Interface --------------------------------------------------------------------------

    def publish(self, channel: str, data: str, event: str = "") -> Message:
        keys = [
            self._key("epoch"),
            self._key("seq", channel),
            self._key("log", channel),
            self._key("msg", channel),
        ]
        message_id = self._publish(
            keys=keys, args=[_new_epoch(), data, event, self.replay, self.ttl]
        )
        return Message(message_id, data, event)

    def last_id(self, channel: str) -> str:
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(self._key("epoch"))
            pipe.get(self._key("seq", channel))
            epoch, number = pipe.execute()
        return f"{epoch or self.epoch}-{int(number or 0)}"

    def subscribe(
        self, channel: str, last_event_id: str | None = None
    ) -> tuple[Subscription, list[Message]]:
        """Open a subscription; also return what the reader missed since ``last_event_id``.

        The subscription is registered (and the listener connected) before the log is read,
        so nothing published in between is lost; duplicates are dropped by id.
        """
        self._start_listener()
        subscription = RedisSubscription(channel)
        with self.lock:
            self.subscribers.setdefault(channel, set()).add(subscription)
        try:
            epoch, entries = self._read_log(channel)
        except BaseException:
            self.unsubscribe(subscription)
            raise
        backlog = self._missed(epoch, entries, last_event_id)
        if backlog and backlog[0].event == RESYNC:
            last = 0
        elif backlog:
            last = _number(backlog[-1].id)
        else:
            last = self._seen(epoch, last_event_id)
        floor = entries[-1]["n"] if entries else 0
        with self.lock:
            subscription.activate(epoch, last, floor)
        return subscription, backlog

    def close(self) -> None:
        """Stop the listener and drop the connections (tests, shutdown)."""
        self._stopped.set()
        if self._listener is not None:
            self._listener.join(timeout=5)
        self.redis.connection_pool.disconnect()

    # Replay -----------------------------------------------------------------------------

    def _read_log(self, channel: str) -> tuple[str, list[dict]]:
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(self._key("epoch"))
            pipe.lrange(self._key("log", channel), 0, -1)
            epoch, raw = pipe.execute()
        if epoch is None:
            epoch = self.epoch
        return epoch, [json.loads(entry) for entry in raw]

    @staticmethod
    def _seen(epoch: str, last_event_id: str | None) -> int:
        if not last_event_id:
            return 0
        their_epoch, _, number = last_event_id.partition("-")
        return int(number) if their_epoch == epoch and number.isdigit() else 0

    @staticmethod
    def _missed(epoch: str, entries: list[dict], last_event_id: str | None) -> list[Message]:
        """The same rules as ``InProcessBroker._missed``, on the Redis log."""
        if not last_event_id:
            return []
        their_epoch, _, number = last_event_id.partition("-")
        if their_epoch != epoch or not number.isdigit():
            return [Message(f"{epoch}-0", "", RESYNC)]  # another epoch: Redis was flushed
        seen = int(number)
        if entries and entries[0]["n"] > seen + 1:
            return [Message(f"{epoch}-0", "", RESYNC)]  # fell out of the log
        return [
            Message(f"{epoch}-{e['n']}", e["data"], e.get("event") or "")
            for e in entries
            if e["n"] > seen
        ]

    # The listener -----------------------------------------------------------------------

    def _start_listener(self) -> None:
        with self.lock:
            if self._listener is None or not self._listener.is_alive():
                self._stopped.clear()
                self._listener = threading.Thread(
                    target=self._listen, name="redis-broker-listener", daemon=True
                )
                self._listener.start()
        # Wait for the pattern subscription, so the first subscriber misses nothing; if
        # Redis is down, the catch-up after reconnecting fills the gap.
        self._ready.wait(timeout=5)

    def _listen(self) -> None:
        delay = 0.1
        pattern = f"{self._msg_prefix}*"
        while not self._stopped.is_set():
            client = redis.Redis.from_url(
                self.url,
                decode_responses=True,
                client_name=self.client_name,
                health_check_interval=30,
            )
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.psubscribe(pattern)
                pubsub.get_message(timeout=5)  # the psubscribe confirmation
                self._catch_up()  # whatever was published while it was not listening
                self._ready.set()
                delay = 0.1
                while not self._stopped.is_set():
                    item = pubsub.get_message(timeout=1.0)
                    if item is not None and item["type"] == "pmessage":
                        self._dispatch(item["channel"], item["data"])
            except (redis.RedisError, OSError) as exc:
                self._ready.clear()
                log.warning("Redis broker listener lost its connection (%s); retrying", exc)
                self._stopped.wait(delay)
                delay = min(delay * 2, 5.0)
            except Exception:
                log.exception("Redis broker listener failed; restarting")
                self._stopped.wait(delay)
                delay = min(delay * 2, 5.0)
            finally:
                try:
                    pubsub.close()
                    client.close()
                except Exception:  # pragma: no cover - closing a dead connection
                    pass
        self._ready.clear()

    def _dispatch(self, redis_channel: str, payload: str) -> None:
        channel = redis_channel[len(self._msg_prefix) :]
        with self.lock:
            targets = list(self.subscribers.get(channel, ()))
        if not targets:
            return
        body = json.loads(payload)
        message = Message(body["id"], body["data"], body.get("event") or "")
        with self.lock:
            for subscription in targets:
                subscription.offer(message)

    def _catch_up(self) -> None:
        """After a reconnect: give every open subscription what it missed meanwhile."""
        with self.lock:
            channels = list(self.subscribers)
        for channel in channels:
            epoch, entries = self._read_log(channel)
            with self.lock:
                for subscription in self.subscribers.get(channel, ()):
                    if subscription.pending is not None:
                        continue  # its own log read is still to come
                    seen = max(subscription.last, subscription.floor)
                    if subscription.epoch != epoch or (entries and entries[0]["n"] > seen + 1):
                        subscription.epoch = epoch
                        subscription.last = subscription.floor = entries[-1]["n"] if entries else 0
                        subscription.put(Message(f"{epoch}-0", "", RESYNC))
                        continue
                    subscription.last = seen
                    for entry in entries:
                        subscription.offer(
                            Message(
                                f"{epoch}-{entry['n']}", entry["data"], entry.get("event") or ""
                            )
                        )
