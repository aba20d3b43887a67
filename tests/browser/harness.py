"""What the browser tests and the screenshot script share: the app served over HTTP, Debian's
Chromium, a watch on every page for script errors and CSP violations, and axe-core.

Never run ``playwright install``: this uses ``/usr/bin/chromium``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.serving import make_server

from mlc_events.extensions import db

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
SKIP_REASON = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--no-sandbox",
]
AXE_PATH = HERE / "vendor" / "axe-core-4.14.1" / "axe.min.js"
TIMEOUT_MS = 5_000
VIEWPORT = {"width": 1280, "height": 900}

# Runs before any page script, in every frame; a DevTools init script, so the CSP allows it.
# Violations are kept on the window and reported to Python too, because a navigation wipes
# the window and what it recorded.
CSP_RECORDER = """
(() => {
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    const v = {directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
               line: e.lineNumber, sample: e.sample, page: document.location.href};
    window.__cspViolations.push(v);
    if (typeof window.__mlcReportCsp === "function") window.__mlcReportCsp(v);
  });
})();
"""


def chromium_missing() -> bool:
    return not CHROMIUM.exists()


def app_config(tmp: Path, url: str) -> dict:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp / "instance"),
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "browser-test-secret",
        "MAIL_URL": None,
    }


class LiveServer:
    """The Flask app served by a threaded werkzeug server in a daemon thread.

    The app's own headers (the strict CSP among them) are left as they are.
    """

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        """``port`` 0 picks a free one; pass an old server's port to restart in its place."""
        self.app = app
        self.server = make_server(host, port, app, threaded=True)
        self.url = f"http://{host}:{self.server.server_port}"
        app.config["BASE_URL"] = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
        # Its mail sender too: it would outlive the test's database otherwise.
        self.app.extensions["worker"].stop()
        with self.app.app_context():
            db.engine.dispose()


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@dataclass
class PageWatch:
    """Every script error, console error and CSP violation seen by some pages."""

    problems: list[str] = field(default_factory=list)
    pages: list = field(default_factory=list)

    def open(self, browser, **context_options):
        """A page in a new context (own cookies), watched; returns the page."""
        context_options.setdefault("viewport", VIEWPORT)
        context_options.setdefault("locale", "en-GB")
        context_options.setdefault("timezone_id", "Europe/Paris")
        javascript = context_options.get("java_script_enabled", True)
        context = browser.new_context(**context_options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS * 2)
        context.expose_binding("__mlcReportCsp", lambda source, v: self._csp(v))
        context.add_init_script(CSP_RECORDER)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.problems.append(f"pageerror on {page.url}: {exc}"))
        page.on("console", lambda msg: self._console(page, msg))
        if javascript:  # with scripts off there is no window to read violations from
            self.pages.append(page)
        return page

    def _csp(self, violation: dict) -> None:
        self.problems.append(f"CSP violation on {violation.get('page')}: {violation}")

    def _console(self, page, msg) -> None:
        if msg.type != "error":
            return
        source = (msg.location or {}).get("url") or page.url
        if urlsplit(source).path == "/favicon.ico":
            return  # the browser's own request; the app has no icon (a 404), not a page error
        self.problems.append(f"console error on {page.url} (from {source}): {msg.text}")

    def collect_window_violations(self) -> None:
        """Read window.__cspViolations of the pages still open."""
        for page in self.pages:
            if page.is_closed():
                continue
            try:
                found = page.evaluate("window.__cspViolations || []")
            except Exception as exc:  # mid-navigation: its reports already reached us
                self.problems.append(f"could not read CSP violations on {page.url}: {exc}")
                continue
            for v in found:
                line = f"CSP violation on {v['page']}: {v}"
                if line not in self.problems:
                    self.problems.append(line)

    def assert_clean(self) -> None:
        self.collect_window_violations()
        if self.problems:
            raise AssertionError(
                "The browser reported problems:\n" + "\n".join(f"  - {p}" for p in self.problems)
            )


def axe_source() -> str:
    return AXE_PATH.read_text()


def run_axe(page, source: str) -> list[dict]:
    """axe-core's violations on the page.

    A ``<script>`` tag (``page.add_script_tag``) would be blocked by the app's CSP, so the
    source runs as a DevTools evaluation instead, which the page's CSP does not govern.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(source)
    return page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:160]}")
    return "\n".join(lines)


def sign_in(page, base: str, user: dict) -> None:
    """Sign ``user`` (a dict with email and password) in through the real form."""
    from playwright.sync_api import expect

    page.goto(f"{base}/auth/login")
    page.get_by_label("Email").fill(user["email"])
    page.get_by_label("Password", exact=True).fill(user["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def make_pitch(app, event_id: int, author_id: int) -> int:
    """A pitch on the live app's jam, made through the service as its author; its id."""
    from mlc_events.auth.models import User
    from mlc_events.jams import services as jams

    with app.app_context():
        pitch = jams.create_pitch(
            db.session.get(User, author_id),
            event_id,
            jams.PitchInput(title="Sparse autoencoders for proteins", summary="Probe it.",
                            looking_for=["code"], tags="interpretability"),
        )  # fmt: skip
        return pitch.id
