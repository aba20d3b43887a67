"""Many members RSVP at the same moment: capacity holds and no RSVP is lost.

Real threads, each with its own app context and database session, on a real SQLite file
and on PostgreSQL where TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import threading

from sqlalchemy import select

from mlc_events.auth.models import User
from mlc_events.events import services
from mlc_events.events.models import RSVP
from mlc_events.extensions import db
from tests.conftest import both_backends

pytestmark = both_backends


def run_at_once(app, jobs):
    """Run each job in its own thread and session, released together by a barrier."""
    # The test's own session must not sit in a transaction (on SQLite, holding the lock).
    db.session.remove()
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def worker(job):
        with app.app_context():
            try:
                barrier.wait()
                job()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not [t for t in threads if t.is_alive()], "a thread hung"
    return errors


def rsvp_job(user_id: int, event_id: int, status: str):
    def job():
        services.set_rsvp(db.session.get(User, user_id), event_id, status)

    return job


def rsvps(event_id: int) -> list[RSVP]:
    db.session.expire_all()
    return list(db.session.scalars(select(RSVP).where(RSVP.event_id == event_id)))


def test_simultaneous_rsvps_never_exceed_capacity(app, make_user, make_event):
    event = make_event(capacity=10)
    members = [make_user().id for _ in range(30)]
    errors = run_at_once(app, [rsvp_job(uid, event.id, "going") for uid in members])
    assert errors == []
    rows = rsvps(event.id)
    assert len(rows) == 30, "every RSVP is stored"
    assert sum(r.status == "going" for r in rows) == 10
    waiting = [r for r in rows if r.status == "waitlisted"]
    assert len(waiting) == 20
    positions = sorted(services.waitlist_position(r) for r in waiting)
    assert positions == list(range(1, 21))


def test_leaving_and_joining_at_once_keeps_capacity_and_queue(app, make_user, make_event):
    event = make_event(capacity=5)
    going = [make_user() for _ in range(5)]
    waiting = [make_user() for _ in range(5)]
    for member in going + waiting:
        services.set_rsvp(member, event.id, "going")
    waiting_ids = [m.id for m in waiting]
    newcomers = [make_user().id for _ in range(10)]
    jobs = [rsvp_job(m.id, event.id, "not_going") for m in going[:3]]
    jobs += [rsvp_job(uid, event.id, "going") for uid in newcomers]
    errors = run_at_once(app, jobs)
    assert errors == []
    rows = rsvps(event.id)
    by_user = {r.user_id: r.status for r in rows}
    assert sum(s == "going" for s in by_user.values()) == 5
    # The three places went to the first three on the waitlist, not to newcomers.
    assert [by_user[uid] for uid in waiting_ids[:3]] == ["going"] * 3
    assert all(by_user[uid] == "waitlisted" for uid in newcomers)
    assert sum(s == "waitlisted" for s in by_user.values()) == 2 + 10


def test_same_member_double_click_stores_one_rsvp(app, make_user, make_event):
    event = make_event(capacity=3)
    member = make_user()
    errors = run_at_once(app, [rsvp_job(member.id, event.id, "going") for _ in range(8)])
    assert errors == []
    rows = rsvps(event.id)
    assert [(r.user_id, r.status) for r in rows] == [(member.id, "going")]
