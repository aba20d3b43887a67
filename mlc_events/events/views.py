"""Event pages: list, archive, show, create, edit, cancel, RSVP."""

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user, login_required

from ..errors import Conflict, ValidationFailed
from ..feeds.services import add_to_calendar_links
from ..live.services import follow_from_here
from ..templating import viewer_timezone
from ..timeutil import utc_to_local_input
from ..web import attach_errors, is_htmx, redirect_to, render
from . import services
from .forms import EventForm
from .models import KINDS

bp = Blueprint("events", __name__, url_prefix="/events")


def _input_from(form: EventForm) -> services.EventInput:
    return services.EventInput(
        title=form.title.data or "",
        kind=form.kind.data or "",
        description=form.description.data or "",
        starts_at=form.starts_at.data or "",
        ends_at=form.ends_at.data or "",
        timezone=form.timezone.data or "",
        location=form.location.data or "",
        online_url=form.online_url.data or "",
        capacity=form.capacity.data,
        visibility=form.visibility.data or "public",
        co_hosts=services.parse_co_hosts(form.co_hosts.data),
    )


def _page_number() -> int:
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= 100_000:
        abort(404)
    return int(page)


@bp.get("/")
def index():
    kind = request.args.get("kind") or None
    past = request.args.get("when") == "past"
    page = services.list_events(current_user, kind=kind, past=past, page=_page_number())
    return render("events/index.html", page=page, kind=kind, past=past, kinds=KINDS)


def _rsvp_context(event):
    rsvp = services.rsvp_of(current_user, event.id)
    return {
        "event": event,
        "rsvp": rsvp,
        "position": services.waitlist_position(rsvp)
        if rsvp and rsvp.status == "waitlisted"
        else None,
        "counts": services.attendance(event.id),
        "show_online": services.can_see_online_link(current_user, event, rsvp),
    }


@bp.get("/<int:event_id>")
def show(event_id: int):
    event = services.get_visible_event(current_user, event_id)
    follow_from_here(event.id)
    context = _rsvp_context(event)
    going = waitlist = None
    if services.can_manage(current_user, event):
        going, waitlist = services.attendees(current_user, event.id)
    return render(
        "events/show.html",
        "events/_rsvp.html",
        **context,
        calendar_links=add_to_calendar_links(event),
        can_manage=going is not None,
        going=going,
        waitlist=waitlist,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    services.require_host(current_user)
    form = EventForm()
    if request.method == "GET":
        form.timezone.data = viewer_timezone() or "UTC"
        form.kind.data = request.args.get("kind") if request.args.get("kind") in KINDS else None
    if form.validate_on_submit():
        try:
            event = services.create_event(current_user, _input_from(form))
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            flash("Your event is published.")
            return redirect_to(url_for("events.show", event_id=event.id))
    status = 422 if form.is_submitted() else 200
    return render("events/form.html", status=status, form=form, event=None)


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    event = services.get_managed_event(current_user, event_id)
    if event.is_cancelled:
        raise Conflict("This event was cancelled; it can no longer be edited.")
    form = EventForm(obj=event)
    if request.method == "GET":
        form.starts_at.data = utc_to_local_input(event.starts_at, event.timezone)
        form.ends_at.data = utc_to_local_input(event.ends_at, event.timezone)
        form.co_hosts.data = ", ".join(h.email for h in event.hosts)
    if form.validate_on_submit():
        try:
            services.update_event(current_user, event.id, _input_from(form))
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            flash("Your changes are saved.")
            return redirect_to(url_for("events.show", event_id=event.id))
    status = 422 if form.is_submitted() else 200
    return render("events/form.html", status=status, form=form, event=event)


@bp.post("/<int:event_id>/cancel")
@login_required
def cancel(event_id: int):
    event = services.cancel_event(current_user, event_id)
    flash("The event is cancelled. Everyone who RSVP'd will see a notice.")
    return redirect_to(url_for("events.show", event_id=event.id))


@bp.post("/<int:event_id>/rsvp")
def rsvp(event_id: int):
    status = request.form.get("status", "")
    try:
        services.set_rsvp(current_user, event_id, status)
    except (Conflict, ValidationFailed) as exc:
        if not is_htmx():
            raise
        event = services.get_visible_event(current_user, event_id)
        return render(
            "events/_rsvp.html", status=exc.status, error=exc.message, **_rsvp_context(event)
        )
    if is_htmx():
        event = services.get_visible_event(current_user, event_id)
        return render("events/_rsvp.html", **_rsvp_context(event))
    return redirect_to(url_for("events.show", event_id=event_id))
