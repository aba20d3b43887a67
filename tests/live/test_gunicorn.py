"""The real server: gunicorn with gevent workers, as `make run` and production start it.

- SIGTERM ends the open streams at once (the worker does not sit out its graceful timeout
  with streams that never finish, then cut them off);
- two gunicorn processes share one Redis: a vote on one reaches a stream on the other
  (runs where TEST_REDIS_URL is set).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener, urlopen

import pytest

from mlc_events.extensions import db
from tests.conftest import PASSWORD
from tests.live.test_stream import Stream

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
REDIS_URL = os.environ.get("TEST_REDIS_URL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, tmp: Path, database: str, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / f"gunicorn-{self.port}.log"
        self.env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"} | {
            "DATABASE_URL": database,
            "SECRET_KEY": "gunicorn-test",
            "MAIL_SENDER": "off",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "1",
            "ACCESS_LOG": str(tmp / "access.log"),
            **env,
        }
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        self.log = open(self.log_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(GUNICORN), "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log_path.read_text()
            try:
                with urlopen(self.url + "/", timeout=2) as response:
                    response.read()
                return self
            except HTTPError:
                return self
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer:\n{self.log_path.read_text()}")

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def signed_in(self, email: str):
        opener = build_opener(HTTPCookieProcessor(CookieJar()))
        form = opener.open(f"{self.url}/auth/login").read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)[1]
        page = opener.open(
            f"{self.url}/auth/login",
            urlencode({"email": email, "password": PASSWORD, "csrf_token": token}).encode(),
        ).read()
        assert b"Sign out" in page
        return opener, token


@pytest.fixture
def jam_with_pitch(app, make_jam, make_pitch, make_user):
    jam = make_jam()
    pitch = make_pitch(jam)
    ids = jam.id, pitch.id, make_user().email
    db.session.commit()
    db.session.remove()  # the test's own connection holds nothing while servers write
    return ids


def test_sigterm_ends_open_streams_at_once(app, tmp_path, jam_with_pitch):
    jam_id, _, _ = jam_with_pitch
    with Gunicorn(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"]) as server:
        streams = [Stream(server.url, f"/events/{jam_id}/stream") for _ in range(3)]
        for stream in streams:
            assert stream.response.readline() == b": connected\n"
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        for stream in streams:
            stream.response.read()  # returns when the server ends the response
            stream.close()
        ended = time.monotonic() - started
        server.proc.wait(timeout=10)
        stopped = time.monotonic() - started
    # gunicorn.conf.py's graceful_timeout is 5 s: without the hook the streams would be
    # cut off only then.
    assert ended < 2.5, f"streams ended {ended:.1f} s after SIGTERM"
    assert stopped < 4.5, f"gunicorn stopped {stopped:.1f} s after SIGTERM"
    assert "Worker graceful timeout" not in server.log_path.read_text()


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set: Redis broker tests skipped")
def test_two_gunicorn_servers_share_live_updates_through_redis(app, tmp_path, jam_with_pitch):
    import redis

    jam_id, pitch_id, voter = jam_with_pitch
    prefix = f"mlctest:{uuid.uuid4().hex[:12]}:"
    env = {"REDIS_URL": REDIS_URL, "LIVE_REDIS_PREFIX": prefix}
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        with Gunicorn(tmp_path, database, **env) as a, Gunicorn(tmp_path, database, **env) as b:
            stream = Stream(a.url, f"/events/{jam_id}/stream")
            try:
                assert stream.response.readline() == b": connected\n"
                opener, token = b.signed_in(voter)
                voted = opener.open(
                    f"{b.url}/pitches/{pitch_id}/vote",
                    urlencode({"vote": "on", "csrf_token": token}).encode(),
                )
                assert voted.status == 200
                message = stream.next_event()
                assert f'hx-target="#tally-{pitch_id}"' in message["data"]
                assert "1 vote" in message["data"]
            finally:
                stream.close()
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()
