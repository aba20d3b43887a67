"""What a session change sends to every screen: the stage (shared), then a named event so each
page reloads its own controls (a member's vote button, a host's console)."""

from __future__ import annotations

from ..live.services import announce, partial, publish

SESSION_CHANGED = "jam-session"


def publish_session(event_id: int) -> None:
    from .services import stage

    publish(event_id, partial(f"#stage-{event_id}", "sessions/_stage.html", stage=stage(event_id)))
    announce(event_id, SESSION_CHANGED)
