"""Fold bursts of live updates into a few broadcasts per channel.

A burst of votes would otherwise send one message per vote to every viewer: at 1,000 viewers a
fan-out per vote collapses somewhere above 70 votes per second. So, per channel:

- the first change after a quiet moment (``window`` seconds without a broadcast) goes out at once;
- later changes within the window wait, and are folded into ONE broadcast sent when the window
  ends. A keyed part (e.g. ``tally-12``) replaces an earlier one with the same key, unless the
  earlier one carries a higher version; other parts keep their order.

A page therefore gets at most ``1 / window`` messages per second per channel and process, and
each carries the latest state. The versions also travel in the HTML (``data-version``):
static/js/app.js drops an incoming element older than the one on the page, which covers what
the coalescer cannot see (two server processes publishing through Redis, or a member's own
response racing the stream).
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field


def _call_later(delay: float, function, *args):
    """Run ``function`` after ``delay`` seconds without making the caller wait.

    Under gevent (gunicorn's workers) a greenlet timer; elsewhere a thread. A thread's
    ``start()`` waits for the thread to run, which under gevent would let other requests in
    while the caller may still hold SQLite's write lock: one of them then blocks the whole
    process in SQLite's busy handler.
    """
    try:
        from gevent import monkey

        if monkey.is_module_patched("threading"):
            import gevent

            return gevent.spawn_later(delay, function, *args)
    except ImportError:  # pragma: no cover - gevent is a dependency of the server only
        pass
    timer = threading.Timer(delay, function, args=args)
    timer.daemon = True
    timer.start()
    return timer


@dataclass
class _Pending:
    # key -> (version, html); insertion order is the order parts are sent in.
    parts: dict[str, tuple[int, str]] = field(default_factory=dict)
    timer: object = None  # a threading.Timer or a gevent Greenlet; both have a way to cancel


@dataclass(frozen=True)
class Part:
    """One piece of a live message. ``key`` names what it shows; ``None``: keep every one."""

    html: str
    key: str | None = None
    version: int = 0


class Coalescer:
    def __init__(self, broker, window: float = 0.25):
        self.broker = broker
        self.window = window
        self.lock = threading.Lock()
        self.last_sent: dict[str, float] = {}
        self.pending: dict[str, _Pending] = {}
        self._unkeyed = itertools.count()
        self.broadcasts = 0  # messages handed to the broker (for tests and benches)

    def submit(self, channel: str, parts: list[Part]) -> None:
        if not parts:
            return
        with self.lock:
            now = time.monotonic()
            pending = self.pending.get(channel)
            quiet = now - self.last_sent.get(channel, float("-inf")) >= self.window
            if pending is None and (quiet or self.window <= 0):
                self.last_sent[channel] = now
                self.broadcasts += 1
                send_now = True
            else:
                send_now = False
                if pending is None:
                    pending = self.pending[channel] = _Pending()
                self._fold(pending, parts)
                if pending.timer is None:
                    delay = max(0.0, self.last_sent[channel] + self.window - now)
                    pending.timer = _call_later(delay, self.flush, channel)
        if send_now:
            self.broker.publish(channel, "".join(part.html for part in parts))

    def _fold(self, pending: _Pending, parts: list[Part]) -> None:
        for part in parts:
            key = part.key if part.key is not None else f"#{next(self._unkeyed)}"
            held = pending.parts.get(key)
            if held is None or part.version >= held[0]:
                pending.parts[key] = (part.version, part.html)

    def flush(self, channel: str) -> None:
        """Send what waited for ``channel`` as one message (the timer calls this)."""
        with self.lock:
            pending = self.pending.pop(channel, None)
            if pending is None:
                return
            self.last_sent[channel] = time.monotonic()
            self.broadcasts += 1
        self.broker.publish(channel, "".join(html for _, html in pending.parts.values()))

    def flush_all(self) -> None:
        """Send everything still waiting at once (shutdown)."""
        with self.lock:
            channels = list(self.pending)
            for channel in channels:
                timer = self.pending[channel].timer
                if isinstance(timer, threading.Timer):
                    timer.cancel()
                elif timer is not None:
                    timer.kill(block=False)
        for channel in channels:
            self.flush(channel)
