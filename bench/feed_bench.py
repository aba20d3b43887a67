"""Time the public feed with 1,000 events: a full download and a 304 revalidation.

    .venv/bin/python bench/feed_bench.py [--events 1000] [--runs 20] [--database-url URL]

Prints median and p95 in milliseconds for: the first (cold) render, a full download with warm
caches, and a conditional request answered 304. Uses a throwaway SQLite file unless a
database URL is given (its tables are emptied first!).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from mlc_events import create_app  # noqa: E402
from mlc_events.auth.models import User  # noqa: E402
from mlc_events.database import utcnow  # noqa: E402
from mlc_events.events.models import Event  # noqa: E402
from mlc_events.extensions import db  # noqa: E402

ZONES = ["Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "UTC"]


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"median {statistics.median(values) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    app = create_app({"INSTANCE_PATH": str(tmp), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "bench", "BASE_URL": "https://events.example.org"})  # fmt: skip
    with app.app_context():
        upgrade()
        if db.engine.dialect.name == "postgresql":
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        host = User(email="h@example.org", display_name="Host", role="host", password_hash="x")
        db.session.add(host)
        start = utcnow() + timedelta(days=1)
        for i in range(args.events):
            db.session.add(
                Event(
                    title=f"Event {i}",
                    kind="talk",
                    description="A talk about *things*.\n" * 3,
                    starts_at=start + timedelta(hours=5 * i),
                    ends_at=start + timedelta(hours=5 * i + 1),
                    timezone=ZONES[i % len(ZONES)],
                    location="Hall 1",
                    online_url="https://meet.example.org/x",
                    hosts=[host],
                )  # fmt: skip
            )
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    t0 = time.perf_counter()
    first = client.get("/calendar.ics")
    cold = time.perf_counter() - t0
    assert first.status_code == 200 and first.data.count(b"BEGIN:VEVENT") == args.events
    full, revalidate = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        response = client.get("/calendar.ics")
        full.append(time.perf_counter() - t0)
        assert response.data == first.data
        t0 = time.perf_counter()
        response = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
        revalidate.append(time.perf_counter() - t0)
        assert response.status_code == 304
    backend = url.split(":", 1)[0]
    print(f"feed of {args.events} events, {len(first.data) / 1024:.0f} KiB, {backend}")
    print(f"  first request (cold caches) {cold * 1000:7.1f} ms")
    print(f"  full download               {ms(full)}")
    print(f"  304 revalidation            {ms(revalidate)}")


if __name__ == "__main__":
    main()
