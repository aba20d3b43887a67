"""Calendar feeds, one-event downloads and the member's calendar page."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_login import current_user, login_required

from ..events.models import KINDS
from ..events.services import get_visible_event
from ..web import absolute_url, render
from . import services

bp = Blueprint("feeds", __name__)


def calendar_response(feed: services.Feed, cache: str, disposition: str = "inline") -> Response:
    """Answer 304 from the validators alone; render the body only when it is needed."""
    response = Response(status=200, mimetype="text/calendar")
    response.content_type = "text/calendar; charset=utf-8"
    response.set_etag(feed.etag.strip('"'))
    response.last_modified = feed.last_modified
    response.headers["Cache-Control"] = cache
    response.headers["Content-Disposition"] = f'{disposition}; filename="{feed.filename}"'
    if request.if_none_match:
        not_modified = request.if_none_match.contains(feed.etag.strip('"'))
    else:
        since = request.if_modified_since
        not_modified = since is not None and feed.last_modified.replace(microsecond=0) <= since
    if not_modified:
        response.status_code = 304
        return response
    response.set_data(feed.render())
    return response


PUBLIC_CACHE = "public, max-age=900"
PRIVATE_CACHE = "private, max-age=300"


@bp.get("/calendar.ics")
def public_feed():
    return calendar_response(services.public_feed(), PUBLIC_CACHE)


@bp.get("/calendar/<kind>.ics")
def kind_feed(kind: str):
    return calendar_response(services.public_feed(kind), PUBLIC_CACHE)


@bp.get("/calendar/u/<token>.ics")
def personal_feed(token: str):
    user = services.user_for_token(token)
    return calendar_response(services.personal_feed(user), PRIVATE_CACHE)


@bp.get("/events/<int:event_id>.ics")
def event_ics(event_id: int):
    event = get_visible_event(current_user, event_id)
    # What is in it depends on who asks: never cached by shared caches.
    return calendar_response(
        services.event_download(current_user, event), "private, no-cache", "attachment"
    )


@bp.route("/account/calendar", methods=["GET", "POST"])
@login_required
def account_calendar():
    if request.method == "POST":
        services.rotate_token(current_user)
        flash("Your personal calendar has a new address. Subscribe again with the new link.")
        return redirect(url_for("feeds.account_calendar"), 303)
    feeds = [
        {
            "title": "My events",
            "text": "Events you host, are going to (confirmed) or are waitlisted for (tentative). "
            "Includes the online links.",
            **services.subscribe_links(
                absolute_url("feeds.personal_feed", token=current_user.calendar_token)
            ),
            "personal": True,
        },
        {
            "title": "All public events",
            "text": "Every public event of the community.",
            **services.subscribe_links(absolute_url("feeds.public_feed")),
        },
    ] + [
        {
            "title": label,
            "text": f"Only {label.lower()} events.",
            **services.subscribe_links(absolute_url("feeds.kind_feed", kind=kind)),
        }
        for kind, label in KINDS.items()
    ]
    return render("account/calendar.html", feeds=feeds)
