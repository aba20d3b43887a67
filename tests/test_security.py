"""Security: CSP and templates without inline script, the Markdown sanitiser, safe ``next``,
production config, CSRF on every POST, and hostile input that must never reach a 500."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from mlc_events import create_app
from mlc_events.auth.models import LoginFailure, User
from mlc_events.config import ConfigError
from mlc_events.extensions import db
from mlc_events.markdown import render_markdown
from mlc_events.web import safe_next
from tests.conftest import PASSWORD, both_backends

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")


@pytest.fixture
def make_user(make_user):
    return lambda **kw: make_user(**{"password_hash": FAST_HASH, **kw})


@pytest.fixture
def fast_hashing(monkeypatch):
    from mlc_events.auth import models

    real = models.generate_password_hash
    monkeypatch.setattr(
        models, "generate_password_hash", lambda pw, method=None: real(pw, "pbkdf2:sha256:1")
    )


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


class Tags(HTMLParser):
    """Every start tag of a document with its attributes, and the text inside <script>."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False
        self.feed(source)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.script_text.append(data)


RISKY_TAGS = {"script", "iframe", "object", "embed", "style", "form", "svg", "math", "base"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href"}


def _script_url(value: str | None, tag: str) -> bool:
    """True for a URL with a scheme other than http, https, mailto (browsers drop blanks);
    ``data:`` is inert as an image or an icon (``<link href="data:,">``), nowhere else."""
    scheme, colon, _ = re.sub(r"[\s\x00-\x1f]", "", value or "").lower().partition(":")
    is_scheme = bool(colon) and re.fullmatch(r"[a-z][a-z0-9+.\-]*", scheme) is not None
    allowed = {"http", "https", "mailto"} | ({"data"} if tag in ("img", "link") else set())
    return is_scheme and scheme not in allowed


def unsafe_markup(source: str) -> list[str]:
    """What in this HTML could run script: inline script, handlers, hx-on, script URLs."""
    parsed = Tags(source)
    found = [f"inline script: {t[:40]!r}" for t in parsed.script_text]
    ours = _is_ours(source)
    for tag, attrs in parsed.tags:
        if tag in RISKY_TAGS and not (ours and tag in ("script", "form")):
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith(("on", "hx-on", "data-hx-on")):
                found.append(f"<{tag} {name}=>")
            if name in URL_ATTRIBUTES and _script_url(value, tag):
                found.append(f"<{tag} {name}={value!r}>")
    return found


def _is_ours(source: str) -> bool:
    """Whole pages carry our own <script src> and forms; Markdown fragments never do."""
    return source.lstrip().lower().startswith("<!doctype")


def sanitised(markdown: str) -> list[str]:
    """Problems in the rendering of ``markdown``, also counting any tag with hx-* attributes."""
    out = render_markdown(markdown)
    problems = unsafe_markup(out)
    for tag, attrs in Tags(out).tags:
        problems += [f"<{tag} {n}=>" for n in attrs if n.startswith(("hx-", "data-hx-"))]
    if "<script" in out.lower():
        problems.append("a <script tag")
    return problems


# --- Content-Security-Policy ------------------------------------------------------------------


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_strict_csp(response, where: str) -> None:
    directives = csp_directives(response)
    assert directives, f"{where}: no Content-Security-Policy"
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src == ["'self'"], f"{where}: script-src {script_src}"
    header = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header, where
    assert directives.get("object-src") == ["'none'"], where
    assert directives.get("frame-ancestors") == ["'none'"], where
    assert directives.get("base-uri") == ["'self'"], where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where


PAGES = ["/", "/events/", "/events/?when=past", "/auth/login", "/auth/register", "/auth/reset",
         "/auth/reset/not-a-token", "/account", "/admin/users", "/no/such/page",
         "/events/999999"]  # fmt: skip


@pytest.mark.parametrize("role", [None, "member", "admin"])
def test_every_html_page_has_a_strict_csp(client, make_user, make_event, role):
    event = make_event()
    if role:
        client.login(make_user(role=role))
    responses = {url: client.get(url) for url in [*PAGES, f"/events/{event.id}"]}
    responses["GET /auth/logout"] = client.get("/auth/logout")
    responses["POST without CSRF"] = client.post("/auth/logout", csrf=False)
    responses["htmx POST without CSRF"] = client.post("/auth/logout", csrf=False, htmx=True)
    responses["422"] = client.post("/auth/register", {"email": "nope"})
    assert {r.status_code for r in responses.values()} >= {200, 400, 404, 405}
    for where, response in responses.items():
        if response.mimetype == "text/html":
            assert_strict_csp(response, f"{where} ({response.status_code})")


def test_the_429_page_has_a_strict_csp(client, make_user):
    user = make_user()
    for _ in range(10):
        db.session.add(LoginFailure(email=user.email, address="127.0.0.1"))
    db.session.commit()
    response = client.post("/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert_strict_csp(response, "429")


def test_production_adds_hsts_and_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setattr("mlc_events.config.load_dotenv", lambda **kw: None)
    monkeypatch.setenv("MLC_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-production-secret")
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"}
    )
    assert app.config["SECRET_KEY"] == "a-real-production-secret"
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not app.debug
    response = app.test_client().get("/auth/login")
    assert response.status_code == 200
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert_strict_csp(response, "production login page")


# --- templates --------------------------------------------------------------------------------

TEMPLATE_FILES = sorted(TEMPLATES.rglob("*.html"))


def test_there_are_templates_to_check():
    names = {p.relative_to(TEMPLATES).as_posix() for p in TEMPLATE_FILES}
    assert {"base.html", "auth/login.html", "account/profile.html", "admin/users.html"} <= names


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: p.relative_to(TEMPLATES).as_posix())
def test_templates_have_no_inline_script(path):
    source = path.read_text()
    inline_script = re.findall(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", source, re.IGNORECASE)
    assert inline_script == [], "inline <script> blocks are blocked by the CSP"
    assert re.findall(r"<script\b[^>]*\bsrc\s*=[^>]*>\s*[^<\s]", source, re.IGNORECASE) == []
    handlers = []
    for tag in re.findall(r"<[a-zA-Z][^<>]*>", source):
        handlers += re.findall(r"[\s\"']on[a-z]+\s*=", tag, re.IGNORECASE)
    for expression in re.findall(r"{{.*?}}", source, re.DOTALL):  # f(onclick="...") in Jinja
        handlers += re.findall(r"[\s(,{\"']on[a-z]+[\"']?\s*[=:]", expression, re.IGNORECASE)
    assert handlers == [], "on*= handlers are blocked by the CSP"
    assert "hx-on" not in source.lower(), "hx-on runs inline script: use static/js instead"
    assert "javascript:" not in source.lower()
    assert not re.search(r"hx-vals\s*=\s*['\"]\s*(js|javascript):", source, re.IGNORECASE)


@pytest.mark.parametrize("role", [None, "admin"])
def test_rendered_pages_have_no_inline_script(client, make_user, make_event, role):
    event = make_event()
    if role:
        client.login(make_user(role=role))
    for url in [*PAGES, f"/events/{event.id}"]:
        response = client.get(url)
        if response.mimetype == "text/html":
            assert unsafe_markup(response.get_data(as_text=True)) == [], url


def test_a_hostile_event_description_stays_inert_on_the_event_page(client, make_event):
    event = make_event(
        description='<img src=x onerror="alert(1)"> <script>alert(2)</script> '
        "[click](javascript:alert(3)) <div hx-get=/admin/users hx-trigger=load>x</div>"
    )
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert unsafe_markup(page) == []
    for tag, attrs in Tags(page).tags:
        assert not (tag == "div" and "hx-get" in attrs), "hx-get from a description"


# --- Markdown ---------------------------------------------------------------------------------

HOSTILE_MARKDOWN = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<svg onload="alert(1)"></svg>',
    '<a href="https://example.org" onclick="steal()">x</a>',
    '<p onmouseover="alert(1)">hover</p>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pic](javascript:alert(1))",
    "<javascript:alert(1)>",
    '[x](https://example.org "title" onmouseover="alert(1)")',
    '<a href="/admin" hx-get="/admin/users" hx-trigger="load">x</a>',
    '<div hx-post="/auth/logout" hx-trigger="load"></div>',
    '<form hx-post="/admin/users/1/role"><input name=role value=admin></form>',
    '<button data-hx-post="/auth/logout">x</button>',
    "<iframe src=https://evil.example></iframe>",
    "<style>body{display:none}</style>",
    "<base href=https://evil.example/>",
    '<div hx-on:click="alert(1)">x</div>',
    "<object data=x.swf></object>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
]


@pytest.mark.parametrize("markdown", HOSTILE_MARKDOWN)
def test_markdown_strips_what_could_run(markdown):
    assert sanitised(markdown) == []


def test_markdown_keeps_no_hx_or_handler_attribute_even_inside_allowed_tags():
    out = render_markdown('<a href="https://example.org" hx-get="/x" onclick="y()">z</a>')
    assert "hx-get=" not in out.replace("&quot;", '"').split("&lt;")[0]
    for _tag, attrs in Tags(out).tags:
        assert not [a for a in attrs if a.startswith(("on", "hx-"))]


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("**bold**", "<strong>bold</strong>"),
        ("_em_", "<em>em</em>"),
        ("`code`", "<code>code</code>"),
        ("```\nblock\n```", "<pre><code>block\n</code></pre>"),
        ("# Title", "<h1>Title</h1>"),
        ("- one\n- two", "<li>one</li>"),
        ("3. three", '<ol start="3">'),
        ("> quoted", "<blockquote>"),
        ("~~gone~~", None),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "<td>1</td>"),
        ("line one  \nline two", "<br"),
        ("---", "<hr"),
    ],
)
def test_markdown_keeps_normal_formatting(markdown, expected):
    out = render_markdown(markdown)
    if expected:
        assert expected in out
    assert sanitised(markdown) == []


def test_markdown_keeps_https_and_mailto_links_with_a_safe_rel():
    out = render_markdown(
        "[paper](https://arxiv.org/abs/1706.03762?v=1&x=2) and <https://example.org/a> "
        "and [mail](mailto:ada@example.org)"
    )
    hrefs = {attrs["href"]: attrs for tag, attrs in Tags(out).tags if tag == "a"}
    assert set(hrefs) == {
        "https://arxiv.org/abs/1706.03762?v=1&x=2",
        "https://example.org/a",
        "mailto:ada@example.org",
    }
    for attrs in hrefs.values():
        assert {"nofollow", "noopener", "noreferrer"} <= set(attrs["rel"].split())


def test_markdown_of_nothing_is_nothing():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""


def test_markdown_survives_pathological_nesting():
    for source in ["[" * 20_000, ">" * 20_000 + " x", "*" * 50_000, "- " * 10_000 + "x"]:
        out = render_markdown(source)
        assert isinstance(out, str)
        assert unsafe_markup(out) == []


# --- safe_next --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/events/",
        "/events/?kind=talk",
        "/events/12#rsvp",
        "/account",
        "/événements",
        "/events/?q=a%2F%2Fb",
        "/a//b",
    ],  # fmt: skip
)
def test_safe_next_keeps_same_site_paths(target):
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.com",
        "///evil.com",
        "////evil.com",
        "/\\evil.com",
        "\\/evil.com",
        "/\\/evil.com",
        "https://evil.com",
        "http:evil.com",
        "https:/evil.com",
        "HTTP://evil.com",
        "javascript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,x",
        "evil.com",
        "events",
        "./events",
        "../events",
        " /events",
        "/\t/evil.com",
        "/\n/evil.com",
        "/\r/evil.com",
        "/\x00/evil.com",
        "/\x0b/evil.com",
        "/\x7f",
        "/\x85/evil.com",
        "/\u2028/evil.com",
        "/events\r\nSet-Cookie: x=1",
    ],  # fmt: skip
)
def test_safe_next_refuses_anything_else(target):
    assert safe_next(target) is None


# --- configuration ----------------------------------------------------------------------------


@pytest.fixture
def bare_env(monkeypatch, tmp_path):
    """No .env file and no SECRET_KEY from the developer's environment."""
    monkeypatch.setattr("mlc_events.config.load_dotenv", lambda **kw: None)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    return {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/c.db"}


@pytest.mark.parametrize("secret", [None, ""])
def test_production_refuses_to_start_without_a_secret_key(monkeypatch, bare_env, secret):
    monkeypatch.setenv("MLC_ENV", "production")
    if secret is not None:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(bare_env)
    # Not even a key passed in code lets production start on a key the environment lacks.
    with pytest.raises(ConfigError):
        create_app({**bare_env, "SECRET_KEY": "from-code"})


def test_development_makes_a_secret_key_once_and_keeps_it(monkeypatch, bare_env, tmp_path):
    monkeypatch.delenv("MLC_ENV", raising=False)
    first = create_app(bare_env).config["SECRET_KEY"]
    second = create_app(bare_env).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only


def test_the_remember_cookie_lasts_at_most_30_days(app):
    assert app.config["REMEMBER_COOKIE_DURATION"].days <= 30
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


# --- CSRF on every POST -----------------------------------------------------------------------


def post_urls(app) -> list[str]:
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            urls.append(adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, 1)))
    return urls


def test_every_post_url_is_found(app):
    urls = post_urls(app)
    assert {"/auth/logout", "/auth/login", "/account", "/admin/users/1/role"} <= set(urls)


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("role", [None, "admin"])
def test_every_post_needs_a_csrf_token(app, client, make_user, make_event, role, htmx):
    make_event()  # id 1 exists for the event URLs
    if role:
        client.login(make_user(role=role))
    for url in post_urls(app):
        for headers in ({}, {"X-CSRFToken": "forged"}):
            response = client.post(
                url, {"csrf_token": "forged"}, csrf=False, htmx=htmx, headers=headers
            )
            assert response.status_code == 400, url
            assert "Reload the page" in text(response), url
            if htmx:
                assert response.headers.get("HX-Refresh") == "true", url


def test_no_route_changes_state_on_get(app):
    for rule in app.url_map.iter_rules():
        methods = rule.methods - {"GET", "HEAD", "OPTIONS", "POST"}
        assert not methods, f"{rule.rule} accepts {methods}: use POST with a CSRF token"


# --- hostile input never gets a 500 -----------------------------------------------------------

FIELDS = ["email", "display_name", "password", "timezone", "remember", "intro",
          "current_password", "new_password", "role", "next", "mail_id"]  # fmt: skip
PAYLOADS = {
    "empty": {},
    "huge": dict.fromkeys(FIELDS, "x" * 300_000),
    "unicode": dict.fromkeys(FIELDS, "𝕏☃ Zoë 李 \u202e\ufeff\u200b"),
    "emoji-email": {**dict.fromkeys(FIELDS, "p" * 12), "email": "😀@😀.example"},
    "markup": dict.fromkeys(FIELDS, '"><img src=x onerror=alert(1)>{{7*7}}'),
    "sql": dict.fromkeys(FIELDS, "' OR 1=1; DROP TABLE users; --"),
    "big-numbers": dict.fromkeys(FIELDS, "9" * 30),
    "negative": dict.fromkeys(FIELDS, "-1"),
    "controls": dict.fromkeys(FIELDS, "\x1b[31m\x07\x08\r\n\t"),
    "repeated": {"email": ["a@example.org", "b@example.org"], "role": ["admin", "host"]},
}
MY_ENDPOINTS = ("main.", "auth.", "account.", "admin.")


def my_urls(app, method: str) -> list[str]:
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if method in rule.methods and rule.endpoint.startswith(MY_ENDPOINTS):
            values = {a: 1 if a.endswith("_id") else "a.b.c" for a in rule.arguments}
            urls.append(adapter.build(rule.endpoint, values))
    return urls


def assert_answered_in_words(response, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    if response.status_code == 401 and response.headers.get("HX-Redirect"):
        return  # htmx follows HX-Redirect to the sign-in page, which says what to do
    if response.status_code >= 400 and response.mimetype == "text/html":
        page = text(response)
        assert "Traceback" not in page, where
        if "<form" not in page:  # form pages put the message beside the field
            messages = re.findall(r"<p>([^<]{15,})</p>|</strong>\s*([^<]{15,})", page)
            assert messages, f"{where}: an error page without words"


@pytest.mark.parametrize("payload", PAYLOADS, ids=list(PAYLOADS))
@pytest.mark.parametrize("role", [None, "admin"])
@both_backends
def test_hostile_forms_never_get_a_500(app, client, make_user, fast_hashing, role, payload):
    if role:
        client.login(make_user(role=role))
    before = db.session.scalar(select(func.count()).select_from(User))
    for url in my_urls(app, "POST"):
        if url == "/auth/logout":
            continue  # would end the session this test runs in
        for htmx in (False, True):
            response = client.post(url, PAYLOADS[payload], htmx=htmx)
            assert_answered_in_words(response, f"POST {url} {payload} htmx={htmx}")
    after = db.session.scalar(select(func.count()).select_from(User))
    assert after - before <= 1  # at most one registration got through


@pytest.mark.parametrize(
    "query",
    [
        "next=%2F%2Fevil.com",
        "next=" + "a" * 20_000,
        "kind=%F0%9F%92%A5&when=%00",
        "next=%C0%AE%C0%AE",
        "x=1&x=2&x=3",
        "page=-1",
        "page=99999999999999999999",
    ],  # fmt: skip
)
@pytest.mark.parametrize("role", [None, "admin"])
@both_backends
def test_hostile_query_strings_never_get_a_500(app, client, make_user, role, query):
    if role:
        client.login(make_user(role=role))
    for url in my_urls(app, "GET"):
        response = client.get(f"{url}?{query}")
        assert_answered_in_words(response, f"GET {url}?{query}")


@both_backends
def test_a_nul_byte_is_refused_in_words_and_stores_nothing(client):
    response = client.post(
        "/auth/register", {"email": "a@example.org", "display_name": "A\x00", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "NUL character" in text(response)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    for url in ("/events/?kind=%00", "/auth/reset/%00"):
        response = client.get(url)
        assert response.status_code == 400
        assert "NUL character" in text(response)


@pytest.mark.parametrize(
    "url", ["/events/99999999999999999999", "/events/2147483648", "/events/2147483647"]
)
@both_backends
def test_ids_beyond_any_table_are_not_found(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert_answered_in_words(response, url)


def test_a_form_too_large_to_read_gets_413_in_words(client):
    response = client.raw.post(
        "/auth/register",
        data={"csrf_token": client.csrf(), "display_name": "x" * 600_000},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "What you sent is too large" in text(response)


@pytest.mark.parametrize(
    ("method", "url", "status", "words"),
    [
        ("GET", "/no/such/page", 404, "nothing at this address"),
        ("GET", "/auth/logout", 405, "does not accept that kind of request"),
        ("PUT", "/account", 405, "does not accept that kind of request"),
        ("POST", "/auth/logout", 400, "Reload the page"),
        ("GET", "/auth/reset/xyz", 404, "reset link is not valid"),
        ("GET", "/admin/users", 403, "Only admins"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_error_pages_say_what_was_wrong(client, make_user, method, url, status, words, htmx):
    client.login(make_user())
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.raw.open(url, method=method, headers=headers)
    assert response.status_code == status
    assert words.lower() in text(response).lower()
    assert "HX-Request" in response.headers.get("Vary", "")
    if htmx:
        assert "<html" not in text(response)  # a fragment, not a page inside the page


def test_trusted_proxy_headers_give_the_client_address(tmp_path, sqlite_template):
    import shutil

    from mlc_events import create_app

    db_path = tmp_path / "p.db"
    shutil.copy(sqlite_template, db_path)
    app = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x",
         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "TRUSTED_PROXIES": 1}
    )  # fmt: skip

    @app.get("/_addr")
    def addr():
        from flask import request

        return request.remote_addr or ""

    client = app.test_client()
    response = client.get("/_addr", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.get_data(as_text=True) == "203.0.113.9"


def test_markdown_images_are_not_rendered(app):
    from mlc_events.markdown import render_markdown

    html = render_markdown("See ![tracker](https://evil.example/t.png) here")
    # Nothing loads from elsewhere (the CSP would block it anyway): at most a plain link.
    assert "<img" not in html
    assert 'href="https://evil.example/t.png"' in html


def test_htmx_errors_go_to_the_message_area_not_into_the_section(client, make_user):
    client.login(make_user())
    response = client.post("/events/424242/rsvp", {"status": "going"}, htmx=True)
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#messages"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert 'role="alert"' in response.get_data(as_text=True)
