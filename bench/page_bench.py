"""The jam page: SQL statements per GET, and requests per second against a bare Flask app.

    .venv/bin/python bench/page_bench.py [--seconds 3] [--rounds 2] [--clients 8] [--port 5081]

1. SQL statements that one GET of a research jam's page (``/events/<id>``, the pitch board)
   issues, signed in as a member and anonymously (the jam is public), with 10 and with 200
   pitches: counted in-process through the test client with SQLAlchemy's
   ``before_cursor_execute`` event (as tests/jams/test_views.py does). The count must not grow
   with the pitches.
2. Requests per second of the page of a jam with 100 pitches and 300 comments (180 on the jam,
   a third of them replies, 120 on its pitches; Markdown bodies), for a signed-in member and
   for an anonymous viewer, served by the real app under gunicorn (gunicorn.conf.py, one gevent
   worker) against bench/bare_page.py, a bare Flask app under the same gunicorn settings,
   measured in the same run with the same load generator. The bare app serves each page two
   ways:

   - ``/jinja/<viewer>``: the baseline of the target. It renders the page's HTML through Jinja
     from in-memory data (plain dicts of the pitches, their counts and the comment threads,
     read once through the services before the servers start; the page's fixed parts as
     literal strings) with a template compiled once at start-up. Its output is checked to be
     the same bytes as the app's page (the stream position and CSRF token are copied in).
   - ``/bytes/<viewer>``: the exact bytes of the app's page, fetched once, served from memory:
     the ceiling of any Flask app with this page (no rendering at all).

   The target (issue 4): the app reaches at least 0.6 of ``/jinja``.

The data is seeded through the app's services (events.create_event, jams.create_pitch,
cast_vote, make_offer, accept_offer, add_comment), so Markdown is rendered and sanitised as
when members write it. Everything lives in a throwaway directory (SQLite database migrated with
Alembic's ``upgrade``, gunicorn logs) that is removed at the end, with both gunicorns.

The load generator: ``--clients`` keep-alive HTTP/1.1 connections on raw sockets in gevent
greenlets in this process, each sending its next GET as soon as the last answer is read in
full; half a second of warm-up, then ``--seconds`` counted; app, bare Jinja and bare bytes take
turns for ``--rounds`` rounds, so a change in the machine's load hits all three alike. This
process shares the machine's two cores with the server.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import http.cookiejar  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))

from flask import Flask, url_for  # noqa: E402
from sqlalchemy import event as sa_event  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from mlc_events import create_app  # noqa: E402
from mlc_events.auth.models import User  # noqa: E402
from mlc_events.database import utcnow  # noqa: E402
from mlc_events.events import services as events  # noqa: E402
from mlc_events.extensions import db  # noqa: E402
from mlc_events.jams import services as jams  # noqa: E402
from mlc_events.jams.models import SKILLS  # noqa: E402
from mlc_events.timeutil import utc_to_local_input  # noqa: E402

PASSWORD = "bench-password"
VIEWER = "viewer@example.org"
SECRET_KEY = "page-bench"

WORDS = [
    "attention", "sparse", "mixture", "experts", "distillation", "tokenizer", "curriculum",
    "grokking", "superposition", "probe", "circuit", "diffusion", "scaling", "laws", "retrieval",
    "memory", "recurrence", "state", "space", "kernel", "quantisation", "pruning", "benchmark",
    "ablation", "dataset", "synthetic", "reasoning", "planner", "verifier", "reward", "model",
    "preference", "optimisation", "contrastive", "embedding", "manifold",
]  # fmt: skip
TAGS = [
    "reasoning", "small models", "interpretability", "data", "rl", "vision", "audio", "theory",
    "efficiency", "evaluation", "robotics", "safety", "compilers", "retrieval",
]  # fmt: skip


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize()


def _markdown(rng: random.Random, size: int) -> str:
    """A Markdown body of roughly ``size`` sentences: emphasis, code, links, sometimes a list."""
    parts = []
    for i in range(size):
        s = _sentence(rng, rng.randint(6, 14))
        kind = rng.randrange(5)
        if kind == 0:
            s = s.replace(" ", " **", 1) + "**"
        elif kind == 1:
            s += f" See [the paper](https://arxiv.org/abs/2401.{rng.randint(10000, 99999)})."
        elif kind == 2:
            s += f" Try `{rng.choice(WORDS)}_{rng.randint(1, 9)}()` first."
        elif kind == 3:
            s = f"_{s}_"
        parts.append(s + ("." if not s.endswith((".", "*", "_")) else ""))
        if i == 1 and size > 3:
            parts.append("\n\n- " + "\n- ".join(_sentence(rng, 4) for _ in range(3)) + "\n\n")
    return " ".join(parts)


def make_users(n: int) -> tuple[User, User, list[User]]:
    """A host, the viewer, and ``n`` other members (one password hash for all: scrypt is slow)."""
    pw = generate_password_hash(PASSWORD, method="scrypt")
    host = User(email="host@example.org", display_name="Hugo Host", role="host", password_hash=pw)
    viewer = User(email=VIEWER, display_name="Vera Viewer", role="member", password_hash=pw)
    members = [
        User(email=f"m{i}@example.org", display_name=f"Member {i}", password_hash=pw)
        for i in range(n)
    ]
    db.session.add_all([host, viewer, *members])
    db.session.commit()
    return host, viewer, members


def make_jam(
    host: User,
    viewer: User,
    members: list[User],
    *,
    pitches: int,
    event_comments: int,
    pitch_comments: int,
    seed: int,
) -> int:
    """A public research jam seeded through the services (Markdown rendered and sanitised as
    when members write it); return its event id. A third of the comments are replies; the
    viewer pitches, votes, offers and comments too, so their own controls show."""
    rng = random.Random(seed)
    starts = utcnow() + timedelta(days=7)
    event = events.create_event(
        host,
        events.EventInput(
            title=f"Research jam with {pitches} pitches",
            kind=jams.JAM_KIND,
            starts_at=utc_to_local_input(starts, "Europe/London"),
            ends_at=utc_to_local_input(starts + timedelta(hours=3), "Europe/London"),
            timezone="Europe/London",
            description=_markdown(rng, 5),
            location="Community hub, room 2",
        ),
    )
    people = [viewer, *members]
    made = []
    for i in range(pitches):
        author = people[i % len(people)] if i % 7 else viewer
        data = jams.PitchInput(
            title=f"{_sentence(rng, rng.randint(3, 7))} ({i})"[: jams.MAX_TITLE],
            summary=_markdown(rng, rng.randint(2, 6)),
            looking_for=rng.sample(list(SKILLS), rng.randint(0, 3)),
            tags=", ".join(rng.sample(TAGS, rng.randint(1, 4))),
        )
        made.append(jams.create_pitch(author, event.id, data))
    for i, pitch in enumerate(made):
        voters = rng.sample(people, rng.randint(0, 4))
        if i % 3 == 0:
            voters.append(viewer)
        for user in dict.fromkeys(voters):
            if user.id != pitch.author_id:
                jams.cast_vote(user, pitch.id, True)
        if i % 4 == 0:
            helper = members[i % len(members)]
            if helper.id != pitch.author_id:
                offer = jams.make_offer(helper, pitch.id, "I can help with the code.")
                if i % 8 == 0:
                    jams.accept_offer(db.session.get(User, pitch.author_id), offer.id)

    def comment(n: int, **target) -> None:
        tops: list[int] = []
        for i in range(n):
            author = viewer if i % 5 == 0 else rng.choice(members)
            body = _markdown(rng, rng.randint(1, 4))
            if tops and i % 3 == 2:
                jams.add_comment(author, body, parent_id=rng.choice(tops[-6:]), **target)
            else:
                tops.append(jams.add_comment(author, body, **target).id)

    comment(event_comments, event_id=event.id)
    for start in range(0, pitch_comments, 3):
        comment(min(3, pitch_comments - start), pitch_id=made[rng.randrange(len(made))].id)
    return event.id


def build_database(url: str, instance: Path) -> tuple[Flask, dict[int, int], int]:
    """Migrate and seed; return the app, {pitches: jam id} for the SQL counts, the page jam."""
    from flask_migrate import upgrade

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": SECRET_KEY,
            "MAIL_SENDER": "off",
        }
    )
    with app.app_context():
        upgrade()
        host, viewer, members = make_users(30)
        counted = {
            n: make_jam(
                host, viewer, members, pitches=n, event_comments=n // 2, pitch_comments=n, seed=n
            )
            for n in (10, 200)
        }
        page_jam = make_jam(
            host, viewer, members, pitches=100, event_comments=180, pitch_comments=120, seed=4
        )
        db.session.remove()
    return app, counted, page_jam


# --- 1. SQL statements per page ------------------------------------------------------------


def scrape_csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not match:
        raise RuntimeError("no csrf_token on the page")
    return match.group(1)


def count_statements(app: Flask, jams_by_size: dict[int, int]) -> list[str]:
    """One line per (viewer, size): the statements one GET of the jam page issues."""
    member = app.test_client()
    token = scrape_csrf(member.get("/auth/login").get_data(as_text=True))
    answer = member.post(
        "/auth/login", data={"email": VIEWER, "password": PASSWORD, "csrf_token": token}
    )
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in failed: HTTP {answer.status_code}")
    anonymous = app.test_client()
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    lines = []
    with app.app_context():
        engine = db.engine
    for label, client in (("member", member), ("anonymous", anonymous)):
        counts = {}
        for size, event_id in jams_by_size.items():
            client.get(f"/events/{event_id}")  # warm: lazy imports, compiled templates
            seen.clear()
            sa_event.listen(engine, "before_cursor_execute", record)
            try:
                response = client.get(f"/events/{event_id}")
            finally:
                sa_event.remove(engine, "before_cursor_execute", record)
            if response.status_code != 200:
                raise RuntimeError(f"/events/{event_id}: HTTP {response.status_code}")
            counts[size] = len(seen)
        same = len(set(counts.values())) == 1
        figures = ", ".join(f"{n} with {size} pitches" for size, n in counts.items())
        lines.append(f"  {label:<9} {figures}: {'constant' if same else 'GROWS with the pitches'}")
    return lines


# --- 2. requests per second against the bare app -------------------------------------------


def bare_data(app: Flask, event_id: int, page: str, email: str | None) -> dict:
    """The in-memory data of bench/bare_page.py for one viewer (``email``, None: anonymous):
    the pitches and threads as plain dicts, read through the services, and the page's fixed
    parts cut out of the fetched page."""

    def cut(start_marker: str, end_marker: str) -> tuple[int, int]:
        try:
            start = page.index(start_marker) + len(start_marker)
            end = page.rindex("\n  </ol>", start, page.index(end_marker, start))
        except ValueError:
            raise RuntimeError(
                f"the jam page's markup changed ({start_marker!r} ... {end_marker!r} not found):"
                " bring bench/bare_page.py and bare_data() up to date"
            ) from None
        return start, end

    a, b = cut(
        '<ol id="pitch-list" class="pitch-list">', f'<section id="comments-event-{event_id}"'
    )
    c, d = cut(
        f'<ol class="threads" id="threads-event-{event_id}">',
        f'<div class="comment-form" id="comment-form-event-{event_id}"',
    )
    with app.test_request_context():
        login_url = url_for("auth.login", next=f"/events/{event_id}#jam")
        viewer = email and db.session.scalar(db.select(User).where(User.email == email))
        board = jams.board(viewer, event_id)
        me = jams.voter(viewer, event_id, board.settings)
        tz = (viewer and viewer.timezone) or board.event.timezone
        pitches = []
        for p in board.pitches:
            stats = board.stats_for(p)
            open_at = page.index('<p class="pitch-stats">\n    ', page.index(f'id="pitch-{p.id}"'))
            open_at += len('<p class="pitch-stats">\n    ')
            close_at = page.index(f'\n    <span><a href="/pitches/{p.id}#comments-pitch-', open_at)
            pitches.append(
                {
                    "id": p.id,
                    "author_id": p.author_id,
                    "author_name": p.author.display_name,
                    "title": p.title,
                    "summary_html": p.summary_html,
                    "skills": p.skill_labels,
                    "tags": p.tags,
                    "tally": page[open_at:close_at],
                    "comments": stats.comments,
                    "offers": stats.offers,
                    "team": stats.team,
                    "voted": p.id in me.voted,
                    "withdrawn": p.is_withdrawn,
                }
            )

        def comment(x) -> dict:
            return {
                "id": x.id,
                "status": x.status,
                "author_id": x.author_id,
                "author_name": x.author.display_name,
                "parent_id": x.parent_id,
                "created_at": x.created_at.isoformat(),
                "edited_at": x.edited_at and x.edited_at.isoformat(),
                "body_html": x.body_html,
            }

        threads = [
            {"comment": comment(t.comment), "replies": [comment(r) for r in t.replies]}
            for t in jams.comments_on(event_id)
        ]
        data = {
            "page": page,
            "prefix": page[:a],
            "middle": page[b:c],
            "suffix": page[d:],
            "pitches": pitches,
            "threads": threads,
            "event_id": event_id,
            "tz": tz,
            "viewer_id": viewer and viewer.id,
            "csrf": viewer and scrape_csrf(page),
            "back": f"/events/{event_id}#jam",
            "login_url": login_url,
            "voting_closed": jams.voting_closed_reason(board.event, board.settings),
            "votes_left": me.votes_left,
            "vote_error": None,
            "key": f"event-{event_id}",
            "post_url": f"/events/{event_id}/comments",
            "closed": jams.comments_closed_reason(board.event),
            "edits_closed": jams.comment_edits_closed_reason(board.event),
            "can_moderate": bool(viewer) and jams.can_moderate(viewer, board.event),
        }
        db.session.remove()
    return data


def first_difference(a: bytes, b: bytes) -> str:
    if a == b:
        return f"the same {len(a):,} bytes"
    at = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    return (
        f"DIFFERENT ({len(a):,} vs {len(b):,} bytes; first at byte {at}:"
        f" {a[max(0, at - 40) : at + 40]!r} vs {b[max(0, at - 40) : at + 40]!r})"
    )


class Gunicorn:
    """One gunicorn (gunicorn.conf.py: one gevent worker) with its log in the temp dir."""

    def __init__(self, name: str, app_spec: str, port: int, tmp: Path, env: dict, *extra: str):
        self.name = name
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.env = dict(os.environ, **env)
        self.env.update(
            PORT=str(port), WEB_CONCURRENCY="1", ACCESS_LOG=str(tmp / f"{name}-access.log")
        )
        self.env.pop("REDIS_URL", None)
        self.log_path = tmp / f"{name}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", *extra, app_spec],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_ready(self, path: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.base + path, timeout=2) as r:
                    r.read()
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name}: gunicorn did not answer:\n{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        return ""

    def errors(self) -> list[str]:
        with contextlib.suppress(OSError):
            text = self.log_path.read_text()
            return [ln for ln in text.splitlines() if "ERROR" in ln or "Traceback" in ln]
        return []

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def sign_in(base: str) -> str:
    """Sign the viewer in on the app server; return its Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/auth/login", timeout=30) as r:
        token = scrape_csrf(r.read().decode())
    body = urllib.parse.urlencode({"email": VIEWER, "password": PASSWORD, "csrf_token": token})
    with opener.open(base + "/auth/login", body.encode(), timeout=30) as r:
        r.read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookie:
        raise RuntimeError("sign-in on the app server failed: no session cookie")
    return cookie


def fetch(port: int, path: str, cookie: str = "") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        client = HttpClient(sock, port, path, cookie)
        status, body = client.get()
    if status != 200:
        raise RuntimeError(f"GET {path} on port {port}: HTTP {status}")
    return body


class HttpClient:
    """One keep-alive HTTP/1.1 connection sending the same GET again and again."""

    def __init__(self, sock: socket.socket, port: int, path: str, cookie: str = "") -> None:
        self.sock = sock
        headers = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/html\r\n"
        if cookie:
            headers += f"Cookie: {cookie}\r\n"
        self.request = (headers + "\r\n").encode()
        self.buf = b""

    def get(self) -> tuple[int, bytes]:
        self.sock.sendall(self.request)
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = next(
            int(ln.split(b":", 1)[1]) for ln in lines if ln.lower().startswith(b"content-length:")
        )
        while len(self.buf) < length:
            self._more()
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, body

    def _more(self) -> None:
        data = self.sock.recv(262144)
        if not data:
            raise ConnectionError("closed by the server")
        self.buf += data


def load(
    port: int, path: str, cookie: str, clients: int, seconds: float, page: bytes
) -> tuple[int, float]:
    """Answers counted over ``seconds`` (after 0.5 s of warm-up) from ``clients`` loops, and
    the seconds they took. Each answer must be a 200 about the size of ``page``."""
    size = len(page)
    counts = [0] * clients
    errors: list[str] = []
    counting = gevent.event.Event()
    stop = gevent.event.Event()

    def loop(i: int) -> None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                client = HttpClient(sock, port, path, cookie)
                while not stop.is_set():
                    status, body = client.get()
                    if status != 200 or abs(len(body) - size) > 200:
                        errors.append(f"HTTP {status}, {len(body)} bytes")
                        return
                    if counting.is_set():
                        counts[i] += 1
        except (OSError, ConnectionError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")

    greenlets = [gevent.spawn(loop, i) for i in range(clients)]
    gevent.sleep(0.5)
    counting.set()
    started = time.monotonic()
    gevent.sleep(seconds)
    done = sum(counts)
    elapsed = time.monotonic() - started
    stop.set()
    gevent.joinall(greenlets, timeout=30)
    gevent.killall([g for g in greenlets if not g.dead], block=False)
    if errors:
        raise RuntimeError(f"GET {path} on port {port}: {len(errors)} errors, e.g. {errors[0]}")
    return done, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="counted seconds a round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per figure")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--port", type=int, default=5081, help="the app; the bare app: +1")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="page-bench-"))
    servers: list[Gunicorn] = []
    try:
        started = time.monotonic()
        url = f"sqlite:///{tmp / 'bench.db'}"
        app, counted, page_jam = build_database(url, tmp)
        print(f"seeded in {time.monotonic() - started:.1f} s ({os.cpu_count()} CPUs)")
        print("SQL statements per GET of the jam page (/events/<id>):")
        for line in count_statements(app, counted):
            print(line)

        env = {"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "MAIL_SENDER": "off"}
        real = Gunicorn("app", "wsgi:app", args.port, tmp, env)
        servers.append(real)
        real.wait_ready("/")
        path = f"/events/{page_jam}"
        viewers = {"member": (VIEWER, sign_in(real.base)), "anonymous": (None, "")}
        pages = {}
        for name, (email, cookie) in viewers.items():
            pages[name] = fetch(args.port, path, cookie)
            data = bare_data(app, page_jam, pages[name].decode(), email)
            (tmp / f"{name}.json").write_text(json.dumps(data))
        bare = Gunicorn(
            "bare", "bare_page:app", args.port + 1, tmp, {"BARE_PAGE_DATA": str(tmp)},
            "--pythonpath", str(ROOT / "bench"),
        )  # fmt: skip
        servers.append(bare)
        bare.wait_ready("/bytes/member")
        comments = count_comments(app, page_jam)
        print(
            f"\nrequests per second of the jam page with 100 pitches and {comments} comments:"
            f" {args.clients} keep-alive clients, one gevent worker per server,"
            f" {args.rounds} alternating rounds of {args.seconds:g} s per figure"
        )
        for name, (_, cookie) in viewers.items():
            page = pages[name]
            rendered = fetch(args.port + 1, f"/jinja/{name}")
            print(
                f"{name}: {len(page):,} bytes; the bare app's Jinja rendering:"
                f" {first_difference(rendered, page)}"
            )
            targets = {
                "app": (args.port, path, cookie, page),
                "bare Jinja": (args.port + 1, f"/jinja/{name}", "", rendered),
                "bare bytes": (args.port + 1, f"/bytes/{name}", "", page),
            }
            done = dict.fromkeys(targets, 0)
            spent = dict.fromkeys(targets, 0.0)
            for _ in range(args.rounds):
                for key, (port, url_path, with_cookie, answer) in targets.items():
                    n, elapsed = load(
                        port, url_path, with_cookie, args.clients, args.seconds, answer
                    )
                    done[key] += n
                    spent[key] += elapsed
            rps = {key: done[key] / spent[key] for key in targets}
            print(f"  app         {rps['app']:7.1f} req/s")
            print(
                f"  bare Jinja  {rps['bare Jinja']:7.1f} req/s   app / bare Jinja ="
                f" {rps['app'] / rps['bare Jinja']:.2f} (target: at least 0.6)"
            )
            print(
                f"  bare bytes  {rps['bare bytes']:7.1f} req/s   app / bare bytes ="
                f" {rps['app'] / rps['bare bytes']:.2f}"
            )
        for server in servers:
            errors = server.errors()
            if errors:
                print(f"{server.name} log: {len(errors)} error lines, e.g. {errors[0][:160]}")
        print(f"total {time.monotonic() - started:.0f} s")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def count_comments(app: Flask, event_id: int) -> int:
    from sqlalchemy import func, select

    from mlc_events.jams.models import Comment

    with app.app_context():
        n = db.session.scalar(select(func.count()).where(Comment.event_id == event_id))
        db.session.remove()
    return n


if __name__ == "__main__":
    main()
