"""One background thread per server process (a greenlet under gevent) for periodic work:
sending queued mail and creating the next instances of recurring series."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask


@dataclass
class Task:
    name: str
    every: float
    run: Callable[[], object]
    on_wake: bool = False
    last: float = field(default=0.0)


class Worker:
    def __init__(self, app: Flask):
        self.app = app
        self.tasks: list[Task] = []
        self.woken = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.stopping = False

    def add(self, name: str, every: float, run: Callable[[], object], on_wake=False) -> None:
        self.tasks.append(Task(name, every, run, on_wake))

    def start(self) -> None:
        with self.lock:
            if self.stopping:
                return
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, name="mlc-worker", daemon=True)
                self.thread.start()

    def wake(self) -> None:
        self.start()
        self.woken.set()

    def stop(self, timeout: float = 10) -> None:
        """End the thread once its current task is done (a test tearing its server down)."""
        with self.lock:
            self.stopping = True
            thread = self.thread
        self.woken.set()
        if thread is not None:
            thread.join(timeout)

    def _loop(self) -> None:
        while not self.stopping:
            now = time.monotonic()
            wait = min((t.last + t.every - now for t in self.tasks), default=60.0)
            woken = self.woken.wait(max(wait, 0.0))
            self.woken.clear()
            if self.stopping:
                return
            now = time.monotonic()
            for task in self.tasks:
                if now >= task.last + task.every or (woken and task.on_wake):
                    task.last = now
                    try:
                        with self.app.app_context():
                            task.run()
                    except Exception:  # noqa: BLE001 - the worker outlives any one failure
                        self.app.logger.exception("Background task %s failed", task.name)


def init_background(app: Flask) -> None:
    from .outbox.services import drain
    from .series.services import extend_all

    worker = Worker(app)
    worker.add("mail", 30, drain, on_wake=True)
    worker.add("series", 3600, extend_all)
    app.extensions["worker"] = worker

    @app.before_request
    def _start_worker():
        # Started by the serving process's first request, never by CLI commands or tests.
        if app.config.get("MAIL_SENDER", "thread") == "thread":
            worker.start()
