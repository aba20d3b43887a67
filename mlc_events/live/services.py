"""Live updates: render a shared fragment once per change and publish it to every viewer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, has_request_context, render_template

from .broker import InProcessBroker

if TYPE_CHECKING:
    from .redis_broker import RedisBroker


def channel(event_id: int) -> str:
    """Everything about one event (its pitches, votes, comments) goes to one stream."""
    return f"event-{event_id}"


def broker() -> InProcessBroker | RedisBroker:
    return current_app.extensions["broker"]


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


def publish(event_id: int, *parts: str) -> None:
    """Send the rendered parts to every open stream of the event, as one message."""
    if parts and current_app.config.get("LIVE_UPDATES", True):
        broker().publish(channel(event_id), "".join(parts))


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
