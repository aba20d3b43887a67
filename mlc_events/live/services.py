"""Live updates: render a shared fragment once per change and publish it to every viewer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, g, has_request_context, render_template

from ..extensions import db
from .broker import InProcessBroker
from .coalesce import Coalescer, Part

if TYPE_CHECKING:
    from .redis_broker import RedisBroker


def channel(event_id: int) -> str:
    """Everything about one event (its pitches, votes, comments) goes to one stream."""
    return f"event-{event_id}"


def broker() -> InProcessBroker | RedisBroker:
    return current_app.extensions["broker"]


def follow_from_here(event_id: int) -> None:
    """Call before a page reads what it shows: its stream then starts after the latest message.

    Without it, a change published between the page's reads and its stream connecting would
    never reach that page. Stored in ``g.live_since`` for ``jams/_viewer.html``.
    """
    try:
        g.live_since = broker().last_id(channel(event_id))
    except Exception:  # noqa: BLE001 - e.g. Redis unreachable: the page works, just not live
        current_app.logger.exception("Live updates unavailable")
        g.live_since = None


def _render(template: str, **context) -> str:
    # Shared fragments never depend on the viewer; outside a request (a CLI import, a
    # background task) an anonymous request context lets them build their URLs.
    if has_request_context():
        return render_template(template, **context)
    with current_app.test_request_context():
        return render_template(template, **context)


def partial(target: str, template: str, swap: str = "outerHTML", **context) -> str:
    """Replace the element ``target`` (a CSS selector) with a rendered fragment."""
    html = _render(template, **context)
    return f'<hx-partial hx-target="{target}" hx-swap="{swap}">{html}</hx-partial>'


def upsert(container: str, template: str, **context) -> str:
    """Update the element with the fragment's id, or append it to ``container``."""
    html = _render(template, **context)
    return f'<hx-upsert hx-target="{container}">{html}</hx-upsert>'


def _end_read_transaction() -> None:
    # Nothing was written since the change's commit: keep the loaded objects as they are.
    session = db.session()
    if session.in_transaction():
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = True


def publish(event_id: int, *parts: str | Part) -> None:
    """Send the rendered parts to every open stream of the event, as one message.

    Bursts are folded (see ``coalesce.py``): pass a ``Part`` with a key and a version for a
    piece of state of which only the latest matters, such as a tally.
    """
    if parts and current_app.config.get("LIVE_UPDATES", True):
        # Publishing follows the change's commit; what rendered the parts read in a new
        # transaction, which ends here: no database lock is held while the broker talks to
        # Redis (under gevent another request could otherwise wait on that lock forever).
        _end_read_transaction()
        current_app.extensions["live"].submit(
            channel(event_id), [p if isinstance(p, Part) else Part(p) for p in parts]
        )


def stop_live(app) -> int:
    """Send what waits to be broadcast, then end every open stream of this process.

    gunicorn.conf.py calls it when a worker is told to stop, so the worker exits as soon as
    its requests are done instead of waiting out the graceful timeout for streams that never
    end. Returns how many streams were open.
    """
    app.extensions["live"].flush_all()
    return app.extensions["broker"].close_streams()


def announce(event_id: int, name: str, data: str = "") -> None:
    """Send a named event (no HTML): each page reloads what depends on it, for its viewer.

    For rare changes that alter every viewer's controls (a host closing voting): the stream
    still renders nothing per viewer; each page asks for its own copy. ``data``: a little
    text for the page (the version it announces, so a page already there can skip it).
    """
    if current_app.config.get("LIVE_UPDATES", True):
        _end_read_transaction()
        broker().publish(channel(event_id), data, name)


def init_live(app) -> None:
    """The in-process broker for one server process; Redis (``REDIS_URL``) for several.

    The Redis broker connects lazily: its pub/sub listener starts on the first stream, so
    CLI commands and tests that never stream open no pub/sub connection.
    """
    url = app.config.get("REDIS_URL")
    if url:
        from .redis_broker import RedisBroker

        app.extensions["broker"] = RedisBroker(
            url, prefix=app.config.get("LIVE_REDIS_PREFIX", "mlc:live:")
        )
    else:
        app.extensions["broker"] = InProcessBroker()
    app.extensions["live"] = Coalescer(
        app.extensions["broker"], app.config.get("LIVE_COALESCE_SECONDS", 0.25)
    )
