"""The event stream: server-sent events for one event and its pitches."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from flask_login import current_user

from ..errors import SignInRequired
from ..events.services import get_visible_event
from ..extensions import db
from . import services
from .broker import RESYNC

bp = Blueprint("live", __name__)

HEARTBEAT_SECONDS = 15


@bp.get("/events/<int:event_id>/stream")
def stream(event_id: int):
    try:
        event = get_visible_event(current_user, event_id)
    except SignInRequired:
        # A stream cannot follow a redirect to the login page: say it plainly.
        abort(401, "Sign in to follow this event live.")
    broker = services.broker()
    if broker.closing:
        abort(503, "The server is restarting: live updates resume in a moment.")
    heartbeat = current_app.config.get("LIVE_HEARTBEAT", HEARTBEAT_SECONDS)
    try:
        # A reconnecting browser says what it saw last; a page's first connection says when
        # the page was read (jams/_viewer.html).
        subscription, backlog = broker.subscribe(
            services.channel(event.id),
            request.headers.get("Last-Event-ID") or request.args.get("since"),
        )
    except Exception:  # noqa: BLE001 - e.g. Redis unreachable: the page works, just not live
        current_app.logger.exception("Live stream unavailable")
        abort(503, "Live updates are unavailable right now. The page still works: reload it.")
    # A stream may stay open for hours: it must not hold a database connection.
    db.session.remove()

    def generate():
        try:
            yield b": connected\n\n"
            for message in backlog:
                yield message.wire
            while True:
                messages = subscription.drain(timeout=heartbeat)
                if subscription.closed:
                    return  # the server is stopping: the browser reconnects elsewhere
                if subscription.dropped:
                    subscription.dropped = False
                    yield f"event: {RESYNC}\ndata:\n\n".encode()
                if not messages:
                    yield b": ping\n\n"
                elif len(messages) == 1:
                    yield messages[0].wire  # the same bytes for every viewer
                else:
                    yield b"".join(message.wire for message in messages)
        finally:
            broker.unsubscribe(subscription)

    return Response(
        generate(),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
