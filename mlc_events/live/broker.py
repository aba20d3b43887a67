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


class Signal:
    """Wakes the streams waiting on it. A channel's streams share one (in-process broker), so
    a broadcast to a thousand of them sets one flag instead of a thousand."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.event = threading.Event()

    def wake(self) -> None:
        # Readers wait on the event they saw before looking for messages; each event is set
        # exactly once, by the first wake after it was handed out.
        with self.lock:
            woken, self.event = self.event, threading.Event()
        woken.set()


class Subscription:
    """One open stream: a bounded list of messages the broker fills and the response drains.

    A deque and a signal rather than a ``queue.Queue``: no lock and condition per message.
    With a shared ``signal`` the broker wakes the channel once after filling every stream's
    list; without one, each ``put`` wakes its own reader.
    """

    def __init__(self, channel: str, maxsize: int = 256, signal: Signal | None = None):
        self.channel = channel
        self.maxsize = maxsize
        self.messages: deque[Message] = deque()
        self.shared = signal is not None
        self.signal = signal or Signal()
        self.dropped = False
        self.closed = False

    def close(self) -> None:
        """End the stream: the server is stopping (its reader wakes up at once)."""
        self.closed = True
        self.signal.wake()

    def put(self, message: Message) -> None:
        if len(self.messages) >= self.maxsize:
            # A reader this far behind resyncs rather than holding memory.
            self.dropped = True
            return
        self.messages.append(message)
        if not self.shared:
            self.signal.wake()

    def _wait(self, timeout: float) -> None:
        """Until a message is waiting, the stream is closed, or ``timeout`` has passed."""
        deadline = time.monotonic() + timeout
        while True:
            # The event first, then the look: a put after the look wakes this event.
            event = self.signal.event
            if self.messages or self.closed:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            event.wait(left)

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
        self.signals: dict[str, Signal] = {}  # one per channel with open streams
        self.replay = replay

    def publish(self, channel: str, data: str, event: str = "") -> Message:
        with self.lock:
            number = self.sequence[channel] = self.sequence.get(channel, 0) + 1
            message = Message(f"{self.epoch}-{number}", data, event)
            self.logs.setdefault(channel, deque(maxlen=self.replay)).append(message)
            targets = list(self.subscribers.get(channel, ()))
            signal = self.signals.get(channel)
        for subscription in targets:
            subscription.put(message)
        if signal is not None:
            signal.wake()  # every stream of the channel at once
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
        with self.lock:
            signal = self.signals.setdefault(channel, Signal())
            subscription = Subscription(channel, signal=signal)
            self.subscribers.setdefault(channel, set()).add(subscription)
            log = list(self.logs.get(channel, ()))
        return subscription, self._missed(log, last_event_id)

    def unsubscribe(self, subscription: Subscription) -> None:
        super().unsubscribe(subscription)
        with self.lock:
            if subscription.channel not in self.subscribers:
                self.signals.pop(subscription.channel, None)

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
