"""Series pages: create, show (with standing RSVP), edit all future instances."""

from flask import Blueprint, flash, request, url_for
from flask_login import current_user, login_required

from ..errors import ValidationFailed
from ..templating import viewer_timezone
from ..web import attach_errors, redirect_to, render
from . import services
from .forms import SeriesForm

bp = Blueprint("series", __name__, url_prefix="/series")


def _input_from(form: SeriesForm) -> services.SeriesInput:
    return services.SeriesInput(
        title=form.title.data or "", kind=form.kind.data or "",
        timezone=form.timezone.data or "", start_time=form.start_time.data or "",
        duration_minutes=form.duration_minutes.data, first_date=form.first_date.data or "",
        frequency=form.frequency.data or "weekly", interval=form.interval.data,
        monthly_week=form.monthly_week.data or "", until=form.until.data or "",
        horizon_weeks=form.horizon_weeks.data, description=form.description.data or "",
        location=form.location.data or "", online_url=form.online_url.data or "",
        capacity=form.capacity.data, visibility=form.visibility.data or "public",
    )  # fmt: skip


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    services.events.require_host(current_user)
    form = SeriesForm()
    if request.method == "GET":
        form.timezone.data = viewer_timezone() or "UTC"
    if form.validate_on_submit():
        try:
            series = services.create_series(current_user, _input_from(form))
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            flash("Your series is published; its first events are listed below.")
            return redirect_to(url_for("series.show", series_id=series.id))
    status = 422 if form.is_submitted() else 200
    return render("series/form.html", status=status, form=form, series=None)


@bp.get("/<int:series_id>")
def show(series_id: int):
    series = services.get_series(current_user, series_id)
    return render(
        "series/show.html",
        series=series,
        instances=services.upcoming_instances(series),
        standing=services.standing_of(current_user, series),
        can_manage=services.can_manage(current_user, series),
    )


@bp.route("/<int:series_id>/edit", methods=["GET", "POST"])
@login_required
def edit(series_id: int):
    series = services.get_managed(current_user, series_id)
    form = SeriesForm(obj=series)
    if request.method == "GET":
        form.first_date.data = series.first_date.isoformat()
        form.until.data = series.until.isoformat() if series.until else ""
        form.monthly_week.data = {None: "", -1: "last"}.get(series.nth, str(series.nth))
    if form.validate_on_submit():
        try:
            services.update_series(current_user, series.id, _input_from(form))
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            flash("Saved: every future event of the series follows the change.")
            return redirect_to(url_for("series.show", series_id=series.id))
    status = 422 if form.is_submitted() else 200
    return render("series/form.html", status=status, form=form, series=series)


@bp.post("/<int:series_id>/standing")
@login_required
def standing(series_id: int):
    on = request.form.get("standing", "on") == "on"
    counts = services.set_standing(current_user, series_id, on)
    if not on:
        flash("You no longer go to every event of this series. RSVPs you made by hand stay.")
    elif counts["waitlisted"]:
        flash(
            f"Noted: you're going to {counts['going']} of the upcoming events and on the "
            f"waitlist for {counts['waitlisted']} that are full."
        )
    else:
        flash("Noted: new events of this series will have you as going.")
    return redirect_to(url_for("series.show", series_id=series_id))
