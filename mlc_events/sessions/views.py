"""The host console (/events/<id>/host) and the audience view (/events/<id>/live)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from ..errors import Conflict, ValidationFailed
from ..events.models import Event
from ..jams import services as jams
from ..live.services import follow_from_here
from ..templating import viewer_timezone
from ..web import absolute_url, is_htmx, redirect_to, render
from . import services
from .qr import qr_svg

bp = Blueprint("sessions", __name__)


def _form_int(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise ValidationFailed("That request was garbled: reload the page and try again.")
    return int(raw)


def _pitch_id() -> int:
    pitch_id = _form_int("pitch_id")
    if pitch_id is None:
        raise ValidationFailed("Choose a pitch to move.")
    return pitch_id


def _position() -> int:
    position = _form_int("position")
    if position is None:
        raise ValidationFailed("Choose where to move the pitch.")
    return position


# action name -> what it does, given the host, the jam's id and the version they saw
ACTIONS: dict[str, Callable] = {
    "start": lambda actor, jam, seen: services.start(actor, jam, seen),
    "next": lambda actor, jam, seen: services.step(actor, jam, 1, seen),
    "previous": lambda actor, jam, seen: services.step(actor, jam, -1, seen),
    "skip": lambda actor, jam, seen: services.skip(actor, jam, seen),
    "up": lambda actor, jam, seen: services.move(actor, jam, _pitch_id(), -1, seen),
    "down": lambda actor, jam, seen: services.move(actor, jam, _pitch_id(), 1, seen),
    "place": lambda actor, jam, seen: services.place(actor, jam, _pitch_id(), _position(), seen),
    "shuffle": lambda actor, jam, seen: services.shuffle(actor, jam, seen),
    "timer": lambda actor, jam, seen: services.set_timer(
        actor, jam, request.form.get("minutes", ""), seen
    ),
    "timer-start": lambda actor, jam, seen: services.start_timer(actor, jam, seen),
    "timer-pause": lambda actor, jam, seen: services.pause_timer(actor, jam, seen),
    "add-minute": lambda actor, jam, seen: services.add_minute(actor, jam, seen),
    "voting": lambda actor, jam, seen: services.set_voting(
        actor, jam, request.form.get("scope", ""), seen
    ),
    "end": lambda actor, jam, seen: services.end(actor, jam, seen),
    "reveal": lambda actor, jam, seen: services.reveal(actor, jam, seen),
}


def _console(event: Event, status: int = 200, error: str | None = None, **extra):
    session = services.session_for(event.id)
    queue = services.queue(session)
    return render(
        "sessions/console.html",
        "sessions/_console.html",
        status=status,
        event=event,
        session=session,
        queue=queue,
        first_to_come=services.first_to_come(session, queue),
        stage=services.stage(event.id),
        error=error,
        results=services.results(current_user, event.id),
        results_event_id=event.id,
        questions=services.questions(session.current_pitch_id),
        tz=viewer_timezone() or event.timezone,
        minutes=extra.get("minutes", session.timer_seconds // 60),
        minutes_error=extra.get("minutes_error"),
    )


@bp.get("/events/<int:event_id>/host")
@login_required
def console(event_id: int):
    event = jams.get_managed_jam(current_user, event_id)
    follow_from_here(event.id)
    return _console(event)


@bp.post("/events/<int:event_id>/host/<action>")
@login_required
def act(event_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    event = jams.get_managed_jam(current_user, event_id)
    try:
        ACTIONS[action](current_user, event.id, _form_int("version"))
    except (Conflict, ValidationFailed) as exc:
        follow_from_here(event.id)
        extra = {}
        if "minutes" in exc.field_errors:
            extra = {
                "minutes": request.form.get("minutes", ""),
                "minutes_error": exc.field_errors["minutes"],
            }
        return _console(event, exc.status, exc.message, **extra)
    if is_htmx():
        follow_from_here(event.id)
        return _console(event)
    flash("Done.")
    return redirect_to(url_for("sessions.console", event_id=event.id))


def _audience(event: Event):
    session = services.session_for(event.id)
    pitch = services.current_pitch(session)
    settings = jams.settings_for(event.id)
    voting_closed = None
    if pitch is not None:
        voting_closed = jams.voting_closed_reason(event, settings) or jams.vote_refused_reason(
            event.id, pitch.id
        )
    return {
        "event": event,
        "session": session,
        "stage": services.stage(event.id),
        "pitch": pitch,
        "settings": settings,
        "voter": jams.voter(current_user, event.id, settings),
        "voting_closed": voting_closed,
        "back": url_for("sessions.audience", event_id=event.id),
        "results": services.results(current_user, event.id) if session.revealed else None,
        "questions": services.questions(pitch.id if pitch else None),
        "upvoted": services.my_upvotes(current_user, pitch.id if pitch else None),
        "results_event_id": event.id,
        "tz": viewer_timezone() or event.timezone,
    }


@bp.get("/events/<int:event_id>/live")
def audience(event_id: int):
    event = jams.get_jam(current_user, event_id)
    follow_from_here(event.id)
    if request.args.get("view") == "projector":
        audience_url = absolute_url("sessions.audience", event_id=event.id)
        return render(
            "sessions/projector.html",
            event=event,
            stage=services.stage(event.id),
            chart=services.tally_chart(event.id),
            questions=services.questions(services.session_for(event.id).current_pitch_id),
            audience_url=audience_url,
            qr=Markup(qr_svg(audience_url, "QR code: open the live view on your phone")),
        )
    return render("sessions/live.html", "sessions/_audience.html", **_audience(event))


@bp.get("/events/<int:event_id>/results")
def results(event_id: int):
    event = jams.get_jam(current_user, event_id)
    return render(
        "sessions/results.html",
        event=event,
        results=services.results(current_user, event.id),
        can_manage=jams.can_manage(current_user, event),
        tz=viewer_timezone() or event.timezone,
    )


@bp.get("/events/<int:event_id>/results.csv")
@login_required
def results_csv(event_id: int):
    try:
        body = services.results_csv(current_user, event_id)
    except Conflict as exc:
        abort(409, exc.message)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="jam-{event_id}-results.csv"'},
    )


# --- questions ------------------------------------------------------------------------------


def _back_to_live(event_id: int):
    return redirect_to(url_for("sessions.audience", event_id=event_id))


@bp.post("/events/<int:event_id>/questions")
@login_required
def ask(event_id: int):
    event = jams.get_jam(current_user, event_id)
    body = request.form.get("body", "")
    try:
        question = services.ask(current_user, event.id, body)
    except (Conflict, ValidationFailed) as exc:
        context = {**_audience(event), "ask_error": exc.message, "ask_body": body}
        if is_htmx():
            answer = render("sessions/_ask.html", status=exc.status, **context)
            return _retarget(answer, f"#ask-{event.id}")
        return render("sessions/live.html", status=exc.status, **context)
    if not is_htmx():
        flash("Your question is in.")
        return _back_to_live(event.id)
    answer = render(
        "sessions/_ask_answer.html",
        **_audience(event),
        asked=True,
        pitch_id=question.pitch_id,
    )
    return _retarget(answer, f"#ask-{event.id}")


def _retarget(response, selector: str):
    """Name the answer's target again, to be found when it lands: the region the form was in
    may have been replaced meanwhile (the stream's newer list, the page reloading its own
    controls), and htmx drops an answer whose target left the page."""
    response.headers["HX-Retarget"] = selector
    return response


@bp.post("/questions/<int:comment_id>/upvote")
@login_required
def upvote(comment_id: int):
    services.upvote(current_user, comment_id)
    question = jams.get_comment(current_user, comment_id)
    if not is_htmx():
        return _back_to_live(question.event_id)
    response = render(
        "sessions/_questions.html",
        pitch_id=question.pitch_id,
        questions=services.questions(question.pitch_id),
        upvoted=services.my_upvotes(current_user, question.pitch_id),
    )
    return _retarget(response, f"#questions-{question.pitch_id}")


def _host_question_action(comment_id: int, action) -> object:
    question = jams.get_comment(current_user, comment_id)
    event = jams.get_managed_jam(current_user, question.event_id)
    try:
        action(current_user, comment_id)
    except (Conflict, ValidationFailed) as exc:
        return _console(event, exc.status, exc.message)
    if is_htmx():
        return _console(event)
    return redirect_to(url_for("sessions.console", event_id=event.id))


@bp.post("/questions/<int:comment_id>/answered")
@login_required
def answered(comment_id: int):
    answered = request.form.get("answered", "on") != "off"
    return _host_question_action(
        comment_id, lambda actor, cid: services.mark_answered(actor, cid, answered)
    )


@bp.post("/questions/<int:comment_id>/hide")
@login_required
def hide_question(comment_id: int):
    return _host_question_action(comment_id, services.hide_question)
