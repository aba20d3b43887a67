"""The background worker: runs its tasks, wakes on demand, and stops when told to."""

from __future__ import annotations

import threading

from mlc_events.background import Worker


def test_the_worker_runs_on_wake_and_stops(app):
    worker = Worker(app)
    ran = threading.Event()
    worker.add("probe", 3600, ran.set, on_wake=True)
    worker.wake()  # starts the thread and runs the task at once
    assert ran.wait(5)
    thread = worker.thread
    worker.stop(timeout=5)
    assert not thread.is_alive()
    ran.clear()
    worker.wake()  # a stopped worker does not start again
    assert not ran.wait(0.2) and not worker.thread.is_alive()
