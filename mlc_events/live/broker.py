"""Publish/subscribe for live updates behind one interface.

``InProcessBroker`` serves one server process (the default). Every message gets an id
``<epoch>-<n>``: the epoch changes when the process starts, so a browser that reconnects
after a restart (or after more messages than the replay log keeps) is told to resync
instead of silently missing something.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Message:
    id: str
    data: str
    event: str = ""

    @cached_property
    def wire(self) -> bytes:
        """The message as the stream sends it: encoded once, written to every viewer."""
        lines = [f"id: {self.id}"]
        if self.event:
            lines.append(f"event: {self.event}")
        lines += [f"data: {line}" for line in self.data.splitlines() or [""]]
        return ("\n".join(lines) + "\n\n").encode()


RESYNC = "resync"


class Subscription:
    """One open stream: a bounded list of messages the broker fills and the response drains.

    A deque and an event rather than a ``queue.Queue``: a broadcast to a thousand streams
    under gevent wakes each reader with one flag, not a lock and a condition per message.
    """

    def __init__(self, channel: str, maxsize: int = 256):
        self.channel = channel
        self.maxsize = maxsize
        self.messages: deque[Message] = deque()
        self.ready = threading.Event()
        self.dropped = False
        self.closed = False

    def close(self) -> None:
        """End the stream: the server is stopping (its reader wakes up at once)."""
        self.closed = True
        self.ready.set()

    def put(self, message: Message) -> None:
        if len(self.messages) >= self.maxsize:
            # A reader this far behind resyncs rather than holding memory.
            self.dropped = True
            return
        self.messages.append(message)
        self.ready.set()

    def _wait(self, timeout: float) -> None:
        """Until a message is waiting, the stream is closed, or ``timeout`` has passed."""
        deadline = time.monotonic() + timeout
        while not self.messages and not self.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            # Clear, look again, then wait: a put after the look sets the flag again.
            self.ready.clear()
            if self.messages or self.closed:
                return
            self.ready.wait(left)

    def drain(self, timeout: float) -> list[Message]:
        """Everything waiting, at once (what a burst left is sent in one write), or what
        arrives within ``timeout``; [] if nothing did."""
        self._wait(timeout)
        taken = []
        while self.messages:
            taken.append(self.messages.popleft())
        return taken

    def get(self, timeout: float) -> Message | None:
        """The next message, or None after ``timeout`` (or once closed)."""
        self._wait(timeout)
        return self.messages.popleft() if self.messages else None


class Subscribers:
    """The open streams of one process, by channel (what both brokers share)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.subscribers: dict[str, set] = {}
        self.closing = False

    def unsubscribe(self, subscription: Subscription) -> None:
        with self.lock:
            subscribers = self.subscribers.get(subscription.channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self.subscribers[subscription.channel]

    def count(self, channel: str) -> int:
        with self.lock:
            return len(self.subscribers.get(channel, ()))

    def close_streams(self) -> int:
        """End every open stream (the server is stopping); return how many there were.

        Browsers reconnect to another process, or to this server once it is back, and the
        replay log or a resync gives them what they missed.
        """
        with self.lock:
            self.closing = True
            open_now = [s for subscribers in self.subscribers.values() for s in subscribers]
        for subscription in open_now:
            subscription.close()
        return len(open_now)


class InProcessBroker(Subscribers):
    def __init__(self, replay: int = 500):
        super().__init__()
        self.epoch = f"{int(time.time() * 1000):x}"
        self.sequence: dict[str, int] = {}
        self.logs: dict[str, deque[Message]] = {}
        self.replay = replay

    def publish(self, channel: str, data: str, event: str = "") -> Message:
        with self.lock:
            number = self.sequence[channel] = self.sequence.get(channel, 0) + 1
            message = Message(f"{self.epoch}-{number}", data, event)
            self.logs.setdefault(channel, deque(maxlen=self.replay)).append(message)
            targets = list(self.subscribers.get(channel, ()))
        for subscription in targets:
            subscription.put(message)
        return message

    def last_id(self, channel: str) -> str:
        """The id of the channel's latest message: a page read after it streams from there."""
        with self.lock:
            return f"{self.epoch}-{self.sequence.get(channel, 0)}"

    def subscribe(
        self, channel: str, last_event_id: str | None = None
    ) -> tuple[Subscription, list[Message]]:
        """Open a subscription; also return what the reader missed since ``last_event_id``.

        The backlog is ``[resync]`` when the gap cannot be filled from the log.
        """
        subscription = Subscription(channel)
        with self.lock:
            self.subscribers.setdefault(channel, set()).add(subscription)
            log = list(self.logs.get(channel, ()))
        return subscription, self._missed(log, last_event_id)

    def _missed(self, log: list[Message], last_event_id: str | None) -> list[Message]:
        if not last_event_id:
            return []
        epoch, _, number = last_event_id.partition("-")
        if epoch != self.epoch or not number.isdigit():
            return [Message(f"{self.epoch}-0", "", RESYNC)]  # another process life
        seen = int(number)
        numbered = [(int(m.id.partition("-")[2]), m) for m in log]
        if numbered and numbered[0][0] > seen + 1:
            return [Message(f"{self.epoch}-0", "", RESYNC)]  # fell out of the log
        return [m for n, m in numbered if n > seen]
