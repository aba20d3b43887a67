"""What a session change sends to every screen: the stage (shared), then a named event so each
page reloads its own controls (a member's vote button, a host's console)."""

from __future__ import annotations

from ..live.coalesce import Part
from ..live.services import announce, partial, publish

SESSION_CHANGED = "jam-session"
# Consoles reload their questions (with the hosts' controls); audiences get the shared list.
QUESTIONS_CHANGED = "jam-questions"


def publish_session(event_id: int) -> None:
    from .services import stage

    shown = stage(event_id)
    publish(
        event_id,
        partial(f"#stage-{event_id}", "sessions/_stage.html", stage=shown),
        chart_part(event_id),
    )
    # The version lets a console that already shows it (the host who acted) skip the reload,
    # and keep the message it shows (e.g. "another host changed the session").
    announce(event_id, SESSION_CHANGED, str(shown["session"].version))


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


def _no_token() -> str:
    return ""  # shared forms: htmx sends the viewer's token in its header


def publish_questions(event_id: int, pitch_id: int | None) -> None:
    """A pitch's questions changed: its list for the audience, the projector's top questions
    (if it is the pitch being presented), and a signal for the hosts' consoles."""
    from .services import current_pitch, questions, session_for

    if pitch_id is None:
        return
    asked = questions(pitch_id)
    parts = [
        partial(
            f"#questions-{pitch_id}",
            "sessions/_questions.html",
            pitch_id=pitch_id,
            questions=asked,
            csrf_token=_no_token,
        )
    ]
    on_stage = current_pitch(session_for(event_id))
    if on_stage is not None and on_stage.id == pitch_id:
        parts.append(
            partial(
                f"#top-questions-{event_id}",
                "sessions/_top_questions.html",
                event_id=event_id,
                questions=asked,
            )
        )
    publish(event_id, *parts)
    announce(event_id, QUESTIONS_CHANGED)
