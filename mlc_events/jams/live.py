"""What a jam publishes after a change: shared fragments only, rendered once for every viewer.

The viewer's own controls (their vote, edit/delete, a host's hide) are not in these
fragments: static/js/jams.js adds them to items that arrive through the stream.
"""

from __future__ import annotations

from ..events.models import Event
from ..extensions import db
from ..live.coalesce import Part
from ..live.services import announce, partial, publish, upsert
from ..sessions.live import chart_part, session_running
from .models import Comment, Offer, Pitch


def publish_tallies(event_id: int, pitches: list[Pitch], chart: bool | None = None) -> None:
    """Send the pitches' tallies; in a burst only the latest of each reaches the viewers.

    The settings (and their version) are read before the pitches, so a tally is never
    labelled with a newer version than the counts it shows.
    """
    from .services import settings_for

    settings = settings_for(event_id)
    version = settings.version
    parts = [
        Part(
            partial(f"#tally-{p.id}", "jams/_tally.html", pitch=p, settings=settings),
            key=f"tally-{p.id}",
            version=version,
        )
        for p in pitches
    ]
    # A running session's projector shows the chart (``chart``: the caller knows already).
    if chart if chart is not None else session_running(event_id):
        parts.append(chart_part(event_id))
    publish(event_id, *parts)


RULES_CHANGED = "jam-rules"


def announce_rules(event_id: int) -> None:
    """The host changed the rules: static/js/jams.js reloads each page's jam regions."""
    announce(event_id, RULES_CHANGED)


def publish_pitch(pitch: Pitch, new: bool = False) -> None:
    from .services import pitch_stats, settings_for

    context = {
        "pitch": pitch,
        "event": pitch.event,
        "settings": settings_for(pitch.event_id),
        "stats": pitch_stats([pitch.id])[pitch.id],
        "tz": pitch.event.timezone,
    }
    if new:
        publish(pitch.event_id, upsert("#pitch-list", "jams/_board_item_shared.html", **context))
    elif pitch.is_withdrawn:
        publish(pitch.event_id, partial(f"#board-item-{pitch.id}", "jams/_nothing.html", "delete"))
    else:
        publish(
            pitch.event_id,
            partial(f"#pitch-{pitch.id}", "jams/_pitch_card.html", **context),
            partial(f"#pitch-detail-{pitch.id}", "jams/_pitch_detail.html", **context),
        )


def publish_comment(comment: Comment, new: bool = False) -> None:
    event = db.session.get(Event, comment.event_id)
    context = {"comment": comment, "tz": event.timezone}
    if not new:
        publish(event.id, partial(f"#comment-{comment.id}", "jams/_comment.html", **context))
        return
    key = f"pitch-{comment.pitch_id}" if comment.pitch_id else f"event-{event.id}"
    container = f"#replies-{comment.parent_id}" if comment.parent_id else f"#threads-{key}"
    publish(event.id, upsert(container, "jams/_comment_item_shared.html", **context))


def publish_offer(offer: Offer) -> None:
    """A new offer joins the open offers; an accepted one moves to the team."""
    item = {"offer": offer}
    if offer.is_accepted:
        parts = [
            partial(f"#offer-item-{offer.id}", "jams/_nothing.html", "delete"),
            upsert(f"#team-{offer.pitch_id}", "jams/_offer_item_shared.html", **item),
        ]
    else:
        parts = [upsert(f"#offer-list-{offer.pitch_id}", "jams/_offer_item_shared.html", **item)]
    publish(offer.pitch.event_id, *parts)


def publish_offer_gone(event_id: int, offer_id: int) -> None:
    """A withdrawn offer (or a member who left the team) leaves every page."""
    publish(
        event_id,
        partial(f"#offer-item-{offer_id}", "jams/_nothing.html", "delete"),
        partial(f"#team-member-{offer_id}", "jams/_nothing.html", "delete"),
    )
