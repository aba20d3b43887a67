"""Fan-out of one vote to N open event streams, served by gunicorn + gevent.

    .venv/bin/python bench/fanout_bench.py [--viewers 100 1000] [--votes 4]
        [--workers 1|2] [--redis redis://127.0.0.1:6379/14] [--port 5077]
        [--burst 100 10] [--no-single | --no-burst]

Without --workers it runs the default set-ups: one gevent worker with the in-process broker at
100 and 1,000 viewers, then two workers through Redis at 1,000 viewers (skipped, with a message,
when Redis does not answer). Each set-up gets a throwaway SQLite database (``flask db upgrade``,
``seed-demo``, one fresh voter) and its own gunicorn.

For every vote (alternating on/off) it prints the time from sending the POST until each stream
shows the pitch's new tally: p50 / p99 / max in ms and how many streams saw it within 1 s. It
also prints the gunicorn workers' RSS growth per open stream.

``--bare`` measures the baseline instead: the same clients and votes on bench/bare_fanout.py, a
bare gevent fan-out of a ~600-byte fragment with nothing of the app (run it in the same hour as
the app: this machine's speed varies by a factor of two over a day).

Then, at the largest audience of each set-up, a burst: 20 members toggle votes on the jam's
pitches at 100 votes per second for 10 seconds (``--burst``). Every stream keeps, per pitch,
the tally with the highest version it was sent (as the browser does); the bench prints the
HTTP answers, how many messages each viewer got, and how many viewers show the database's
final tallies, and how long after the burst's last answer they did. The clients run in this process
(gevent greenlets on raw sockets) and share the machine's cores with the server: the figures
include the clients' own scheduling.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import gc  # noqa: E402
import http.cookiejar  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from gevent.event import Event as GEvent  # noqa: E402
from gevent.pool import Pool  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
JAM_UID = "seed-jam-upcoming@mlc-events"
VOTER = ("bench-voter@example.org", "bench-password")
CONNECT_TIMEOUT = 60.0
ROUND_TIMEOUT = 10.0


def raise_nofile() -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def redis_reachable(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def tally_text(count: int) -> str:
    return f"{count} vote" + ("" if count == 1 else "s")


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        kids.extend(int(k) for k in text)
    return kids


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(q * len(values) + 0.5)) - 1))]


class Server:
    """A throwaway database and a gunicorn serving it."""

    def __init__(self, workers: int, port: int, redis_url: str | None, bare: bool = False) -> None:
        self.bare = bare
        self.tmp = Path(tempfile.mkdtemp(prefix="fanout-bench-"))
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=f"sqlite:///{self.tmp / 'bench.db'}",
            SECRET_KEY="fanout-bench",
            MAIL_SENDER="off",
            PORT=str(port),
            WEB_CONCURRENCY=str(workers),
            ACCESS_LOG=str(self.tmp / "access.log"),
        )
        self.env.pop("REDIS_URL", None)
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        self.proc: subprocess.Popen | None = None
        self.log = None

    def flask(self, *args: str) -> None:
        subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT, env=self.env, check=True, capture_output=True, text=True,
        )  # fmt: skip

    def prepare(self) -> tuple[int, int, int]:
        """Migrate, seed, add the voter; return (event id, pitch id, its current vote count)."""
        self.flask("db", "upgrade")
        self.flask("seed-demo")
        self.flask("users", "create", VOTER[0], "--name", "Bench Voter", "--password", VOTER[1])
        con = sqlite3.connect(self.tmp / "bench.db")
        try:
            (event_id,) = con.execute("SELECT id FROM events WHERE uid = ?", (JAM_UID,)).fetchone()
            pitch_id, count = con.execute(
                "SELECT id, vote_count FROM pitches WHERE event_id = ? AND status = 'active'"
                " ORDER BY vote_count, id LIMIT 1",
                (event_id,),
            ).fetchone()
        finally:
            con.close()
        return event_id, pitch_id, count

    def start(self) -> None:
        self.log = open(self.tmp / "gunicorn.log", "w")  # noqa: SIM115
        command = ["--config", "gunicorn.conf.py", "wsgi:app"]
        if self.bare:  # the baseline: same worker class and connections, none of the app
            # (--config /dev/null: gunicorn.conf.py in the checkout would be read otherwise)
            command = ["--config", "/dev/null", "-k", "gevent", "--worker-connections", "4000",
                       "-b", f"127.0.0.1:{self.port}", "bench.bare_fanout:app"]  # fmt: skip
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), *command],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base + "/", timeout=2) as r:
                    r.read()
                    break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn did not answer:\n{self.log_tail()}")

    def workers_rss_kb(self) -> int:
        assert self.proc is not None
        return sum(rss_kb(pid) for pid in children(self.proc.pid))

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.tmp / "gunicorn.log").read_text()
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def errors_in_log(self) -> list[str]:
        try:
            text = (self.tmp / "gunicorn.log").read_text()
        except OSError:
            return []
        return [ln for ln in text.splitlines() if "ERROR" in ln or "Traceback" in ln]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log is not None:
            self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Viewer:
    """One open stream on a raw socket; notes when the awaited bytes arrive."""

    def __init__(self, port: int, event_id: int) -> None:
        self.port = port
        self.path = f"/events/{event_id}/stream"
        self.sock: socket.socket | None = None
        self.connected = GEvent()
        self.needle: bytes | None = None
        self.tail = b""
        self.seen_at: float | None = None
        self.error: str | None = None
        self.closed = False

    def open(self) -> None:
        try:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            self.sock.sendall(
                f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n".encode()
            )
            self.sock.settimeout(None)
        except OSError as exc:
            self.error = f"connect: {exc}"
            self.connected.set()

    def expect(self, needle: bytes) -> None:
        self.tail = b""
        self.seen_at = None
        self.needle = needle

    def run(self) -> None:
        if self.sock is None:
            return
        buf = b""
        try:
            while True:
                data = self.sock.recv(65536)
                now = time.monotonic()
                if not data:
                    if not self.closed:
                        self.error = "closed by server"
                    break
                if not self.connected.is_set():
                    buf += data
                    if b": connected" in buf:
                        if not buf.startswith(b"HTTP/1.1 200"):
                            self.error = buf.split(b"\r\n", 1)[0].decode()
                        self.connected.set()
                        data = buf
                    elif buf.count(b"\r\n\r\n") and not buf.startswith(b"HTTP/1.1 200"):
                        self.error = buf.split(b"\r\n", 1)[0].decode()
                        self.connected.set()
                        break
                    else:
                        continue
                self.received(data, now)
        except OSError as exc:
            if not self.closed:
                self.error = f"recv: {exc}"
        finally:
            self.connected.set()

    def received(self, data: bytes, now: float) -> None:
        if self.needle is not None and self.seen_at is None:
            window = self.tail + data
            if self.needle in window:
                self.seen_at = now
            else:
                self.tail = window[-len(self.needle) :]

    def close(self) -> None:
        self.closed = True
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()


class Voter:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.csrf = ""

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as r:
            return r.read().decode()

    @staticmethod
    def scrape_csrf(html: str) -> str:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', html
        )
        if not match:
            raise RuntimeError("no csrf_token on the page")
        return match.group(1)

    def sign_in(self, email: str, password: str, event_id: int) -> None:
        token = self.scrape_csrf(self.get("/auth/login"))
        body = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
        with self.opener.open(self.base + "/auth/login", body.encode(), timeout=30) as r:
            r.read()
        page = self.get(f"/events/{event_id}")
        if VOTER[0] not in page and "Sign out" not in page and "Log out" not in page:
            print("  warning: the jam page does not look signed in")
        self.csrf = self.scrape_csrf(page)

    def vote(self, pitch_id: int, on: bool, bare_count: int | None = None) -> int:
        body = urllib.parse.urlencode({"vote": "on" if on else "off"}).encode()
        req = urllib.request.Request(
            self.base + f"/pitches/{pitch_id}/vote",
            data=body,
            headers={"X-CSRFToken": self.csrf, "HX-Request": "true"},
        )
        if bare_count is not None:  # the baseline server: broadcast "N votes"
            req = urllib.request.Request(f"{self.base}/vote?count={bare_count}", data=b"")
        try:
            with self.opener.open(req, timeout=30) as r:
                r.read()
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code


def run_setup(
    workers: int, viewers: int, votes: int, redis_url: str | None, port: int, bare: bool = False
) -> None:
    label = f"{workers} worker{'s' if workers > 1 else ''}, " + (
        f"Redis broker ({redis_url})" if redis_url else "in-process broker"
    )
    if bare:
        label = "baseline: bare gevent fan-out (bench/bare_fanout.py), 1 worker"
    print(f"\n== {label}, {viewers} viewers ==", flush=True)
    server = Server(workers, port, redis_url, bare)
    clients: list[Viewer] = []
    readers: list[gevent.Greenlet] = []
    try:
        event_id, pitch_id, base_count = (1, 1, 1) if bare else server.prepare()
        server.start()
        voter = Voter(server.base)
        if not bare:
            voter.sign_in(*VOTER, event_id)
        # Warm up: one stream and one page so lazy imports and caches are not counted per stream.
        warm = Viewer(port, event_id)
        warm.open()
        warm_reader = gevent.spawn(warm.run)
        warm.connected.wait(10)
        warm.close()
        warm_reader.join(2)
        if not bare:
            voter.get(f"/events/{event_id}")
        gevent.sleep(0.5)
        rss_before = server.workers_rss_kb()

        started = time.monotonic()
        clients = [Viewer(port, event_id) for _ in range(viewers)]
        readers = connect(clients)
        ok = [c for c in clients if c.connected.is_set() and c.error is None]
        failed = [c for c in clients if c.error is not None]
        waiting = viewers - len(ok) - len(failed)
        print(
            f"streams connected: {len(ok)}/{viewers} in {time.monotonic() - started:.2f} s"
            + (f", failed {len(failed)} (e.g. {failed[0].error})" if failed else "")
            + (f", still waiting {waiting}" if waiting else ""),
            flush=True,
        )
        gevent.sleep(1.0)
        rss_open = server.workers_rss_kb()
        if ok:
            print(
                f"worker RSS: {rss_before / 1024:.1f} MB before, {rss_open / 1024:.1f} MB with"
                f" {len(ok)} streams open: {(rss_open - rss_before) / len(ok):.1f} KB per stream"
            )

        on = True
        count = base_count
        print(f"pitch {pitch_id}: {tally_text(count)} before the first vote")
        for n in range(votes):
            want = count + 1 if on else count - 1
            # One pitch changes per vote: its tally is the only one in the message.
            needle = f">{tally_text(want)}</span></hx-partial>".encode()
            for c in ok:
                c.expect(needle)
            gevent.sleep(0.2)
            t0 = time.monotonic()
            status = voter.vote(pitch_id, on, want if bare else None)
            t_answer = time.monotonic() - t0
            deadline = t0 + ROUND_TIMEOUT
            while time.monotonic() < deadline and any(c.seen_at is None for c in ok):
                gevent.sleep(0.01)
            lat = [(c.seen_at - t0) * 1000 for c in ok if c.seen_at is not None]
            within = sum(1 for v in lat if v <= 1000)
            missing = len(ok) - len(lat)
            head = f"vote {n + 1} ({'on' if on else 'off'} -> {tally_text(want)}): HTTP {status}"
            if lat:
                print(
                    f"{head}, answer {t_answer * 1000:.0f} ms; p50 {statistics.median(lat):.1f}"
                    f" ms  p99 {percentile(lat, 0.99):.1f} ms  max {max(lat):.1f} ms;"
                    f" within 1 s {within}/{len(ok)}"
                    + (f"; never seen {missing}" if missing else ""),
                    flush=True,
                )
            else:
                print(f"{head}: no stream saw the new tally within {ROUND_TIMEOUT:.0f} s")
            if status == 200:
                count = want
            on = not on
            gevent.sleep(0.3)
        report_failures(server, ok)
    except Exception as exc:  # noqa: BLE001 - report the set-up's failure and go on
        print(f"set-up failed: {type(exc).__name__}: {exc}")
        print(server.log_tail())
    finally:
        disconnect(clients, readers)
        server.stop()


def connect(clients: list[Viewer]) -> list[gevent.Greenlet]:
    """Open the streams and start reading them; wait until each said it is connected."""
    pool = Pool(50)  # connect in waves: no SYN flood on the listen backlog
    for c in clients:
        pool.spawn(c.open)
    pool.join()
    readers = [gevent.spawn(c.run) for c in clients]
    deadline = time.monotonic() + CONNECT_TIMEOUT
    for c in clients:
        c.connected.wait(max(0.0, deadline - time.monotonic()))
    return readers


def disconnect(clients: list[Viewer], readers: list[gevent.Greenlet]) -> None:
    for c in clients:
        c.close()
    gevent.joinall(readers, timeout=5)
    gevent.killall([g for g in readers if not g.dead], block=False)


def report_failures(server: Server, streams: list[Viewer]) -> None:
    late = [c for c in streams if c.error is not None]
    if late:
        print(f"streams that failed during the run: {len(late)} (e.g. {late[0].error})")
    errors = server.errors_in_log()
    if errors:
        print(f"server log: {len(errors)} error lines, e.g. {errors[0][:160]}")
        if os.environ.get("BENCH_VERBOSE"):
            print(server.log_tail(80))


TALLY = re.compile(rb'id="tally-(\d+)" class="tally[^"]*" data-version="(\d+)">([^<]*)<')


class BurstViewer(Viewer):
    """A stream that keeps, per pitch, the tally with the highest version it was sent (what
    static/js/app.js does in the browser), and when that state last changed."""

    def __init__(self, port: int, event_id: int) -> None:
        super().__init__(port, event_id)
        self.tallies: dict[int, tuple[int, str]] = {}
        self.changed_at = 0.0
        self.messages = 0
        self.buffer = b""

    def received(self, data: bytes, now: float) -> None:
        self.buffer += data
        *complete, self.buffer = self.buffer.split(b"\n\n")
        for message in complete:
            if b"\ndata:" not in b"\n" + message:
                continue  # a comment (connected, ping)
            self.messages += 1
            for pitch, version, shown in TALLY.findall(message):
                key, new = int(pitch), (int(version), shown.decode())
                held = self.tallies.get(key)
                if held is None or new[0] >= held[0]:
                    if held != new:
                        self.changed_at = now
                    self.tallies[key] = new


def make_voters(server: Server, count: int) -> list[tuple[str, str]]:
    """Members who vote in the burst (one flask process creates them all)."""
    accounts = [(f"burst-{n}@example.org", "burst-password") for n in range(count)]
    script = (
        "from mlc_events import create_app\n"
        "from mlc_events.auth.services import create_user\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    for email, password in {accounts!r}:\n"
        "        create_user(email, email.split('@')[0], password, 'member')\n"
    )
    subprocess.run(
        [str(BIN / "python"), "-c", script],
        cwd=ROOT, env=server.env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return accounts


def run_burst(
    workers: int, viewers: int, redis_url: str | None, port: int, rate: int, seconds: int
) -> None:
    label = f"{workers} worker{'s' if workers > 1 else ''}, " + (
        f"Redis broker ({redis_url})" if redis_url else "in-process broker"
    )
    print(f"\n== burst: {rate} votes/s for {seconds} s, {label}, {viewers} viewers ==", flush=True)
    server = Server(workers, port, redis_url)
    clients: list[BurstViewer] = []
    readers: list[gevent.Greenlet] = []
    try:
        event_id, _, _ = server.prepare()
        db_path = server.tmp / "bench.db"
        con = sqlite3.connect(db_path)
        with con:
            # One vote per pitch (no budget), tallies shown, voting open.
            con.execute(
                "UPDATE jam_settings SET vote_budget = NULL, tallies_visible = 1,"
                " voting_open = 1 WHERE event_id = ?",
                (event_id,),
            )
        # What every page shows before the burst (the stream only sends what changes).
        before = {
            pid: (-1, tally_text(count))
            for pid, count in con.execute(
                "SELECT id, vote_count FROM pitches WHERE event_id = ? AND status = 'active'"
                " ORDER BY id",
                (event_id,),
            )
        }
        pitches = list(before)
        con.close()
        accounts = make_voters(server, 20)
        server.start()
        voters = []
        for email, password in accounts:
            voter = Voter(server.base)
            voter.sign_in(email, password, event_id)
            voters.append(voter)

        clients = [BurstViewer(port, event_id) for _ in range(viewers)]
        readers = connect(clients)
        ok = [c for c in clients if c.connected.is_set() and c.error is None]
        print(
            f"streams connected: {len(ok)}/{viewers}; {len(pitches)} pitches, {len(voters)} voters"
        )
        gevent.sleep(1.0)

        total = rate * seconds
        state: dict[tuple[int, int], bool] = {}
        statuses: dict[int, int] = {}
        answer_ms: list[float] = []
        plan = []
        for n in range(total):
            voter_n, pitch = n % len(voters), pitches[(n // len(voters)) % len(pitches)]
            want = not state.get((voter_n, pitch), False)
            state[(voter_n, pitch)] = want
            plan.append((voters[voter_n], pitch, want))

        def cast(voter: Voter, pitch: int, want: bool) -> None:
            t = time.monotonic()
            status = voter.vote(pitch, want)
            answer_ms.append((time.monotonic() - t) * 1000)
            statuses[status] = statuses.get(status, 0) + 1

        for c in ok:
            c.messages = 0
            c.tallies = dict(before)
        start = time.monotonic()
        jobs = []
        for n, job in enumerate(plan):
            gevent.sleep(max(0.0, start + n / rate - time.monotonic()))
            jobs.append(gevent.spawn(cast, *job))
        sent = time.monotonic() - start
        gevent.joinall(jobs)
        end = time.monotonic()
        messages = [c.messages for c in ok]

        con = sqlite3.connect(db_path)
        final = {
            pid: tally_text(count)
            for pid, count in con.execute(
                "SELECT id, vote_count FROM pitches WHERE event_id = ?", (event_id,)
            )
            if pid in pitches
        }
        con.close()
        gevent.sleep(3.0)  # the last folded broadcast is due within the window
        done = [c for c in ok if {p: t[1] for p, t in c.tallies.items()} == final]
        late_ms = [max(0.0, c.changed_at - end) * 1000 for c in done]
        within = sum(1 for v in late_ms if v <= 1000)
        print(
            f"{total} votes sent in {sent:.1f} s ({total / sent:.0f}/s), last answer"
            f" {end - start:.1f} s after the first; HTTP {dict(sorted(statuses.items()))};"
            f" answer p50 {statistics.median(answer_ms):.0f} ms p99"
            f" {percentile(answer_ms, 0.99):.0f} ms"
        )
        print(
            f"messages per viewer during the burst: median {statistics.median(messages):.0f}"
            f" ({statistics.median(messages) / (end - start):.1f}/s), max {max(messages)}"
        )
        print(
            f"viewers showing the final tallies: {len(done)}/{len(ok)}; within 1 s of the"
            f" burst's end: {within}/{len(ok)}"
            + (
                f"; after the end p50 {statistics.median(late_ms):.0f} ms"
                f" p99 {percentile(late_ms, 0.99):.0f} ms max {max(late_ms):.0f} ms"
                if late_ms
                else ""
            )
        )
        wrong = [c for c in ok if c not in done]
        if wrong:
            print(f"  e.g. a viewer shows {wrong[0].tallies}, the database {final}")
        report_failures(server, ok)
    except Exception as exc:  # noqa: BLE001 - report the set-up's failure and go on
        print(f"burst failed: {type(exc).__name__}: {exc}")
        print(server.log_tail())
    finally:
        disconnect(clients, readers)
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, nargs="+", help="default: 100 1000")
    parser.add_argument("--votes", type=int, default=4, help="votes per run, alternating on/off")
    parser.add_argument("--workers", type=int, help="one set-up with this many workers")
    parser.add_argument("--redis", help="Redis URL for the broker (with --workers)")
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument(
        "--burst", type=int, nargs=2, metavar=("VOTES_PER_S", "SECONDS"), default=(100, 10),
        help="the burst after the single votes (default: 100 10)",
    )  # fmt: skip
    parser.add_argument("--no-single", action="store_true", help="only the burst")
    parser.add_argument("--no-burst", action="store_true", help="only the single votes")
    parser.add_argument(
        "--bare", action="store_true",
        help="the baseline: single votes on bench/bare_fanout.py (one gevent worker, no app)",
    )  # fmt: skip
    args = parser.parse_args()

    # The clients' own garbage collection (a thousand greenlets and sockets) would pause the
    # readers and show up as server latency: this short-lived process does without.
    gc.disable()
    soft, hard = raise_nofile()
    print(f"open-file limit (bench process): soft {soft}, hard {hard}; {os.cpu_count()} CPUs")
    if args.bare:
        for viewers in args.viewers or [100, 1000]:
            run_setup(1, viewers, args.votes, None, args.port, bare=True)
        return
    if args.workers:
        plan = [(args.workers, n, args.redis) for n in (args.viewers or [100, 1000])]
    else:
        redis_url = args.redis or "redis://127.0.0.1:6379/14"
        plan = [(1, n, None) for n in (args.viewers or [100, 1000])]
        plan += [(2, n, redis_url) for n in (args.viewers or [1000])[-1:]]
    for workers, viewers, redis_url in plan:
        if redis_url and not redis_reachable(redis_url):
            print(f"\n== {workers} workers, Redis broker: skipped, {redis_url} does not answer ==")
            continue
        if not args.no_single:
            run_setup(workers, viewers, args.votes, redis_url, args.port)
        # The burst at the largest audience of each set-up.
        if not args.no_burst and viewers == max(
            n for w, n, r in plan if (w, r) == (workers, redis_url)
        ):
            run_burst(workers, viewers, redis_url, args.port, *args.burst)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
