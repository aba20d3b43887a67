"""What a session change sends to every screen: the stage (shared), then a named event so each
page reloads its own controls (a member's vote button, a host's console)."""

from __future__ import annotations

from ..live.coalesce import Part
from ..live.services import announce, partial, publish

SESSION_CHANGED = "jam-session"


def publish_session(event_id: int) -> None:
    from .services import stage

    publish(
        event_id,
        partial(f"#stage-{event_id}", "sessions/_stage.html", stage=stage(event_id)),
        chart_part(event_id),
    )
    announce(event_id, SESSION_CHANGED)


def chart_part(event_id: int) -> Part:
    """The projector's tally chart; in a burst of votes only the latest goes out."""
    from .services import tally_chart

    chart = tally_chart(event_id)
    html = partial(f"#tally-chart-{event_id}", "sessions/_tally_chart.html", chart=chart)
    return Part(html, key="tally-chart", version=chart["version"])


def session_running(event_id: int) -> bool:
    from ..extensions import db
    from .models import JamSession

    session = db.session.get(JamSession, event_id)
    return session is not None and session.is_running
