"""Jam pages: settings, the pitch board, pitches, votes, offers and comments.

Each state change answers an htmx request with the fragment the page includes, and a plain
form with a redirect back (or the form again, with the message beside the field).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from flask import Blueprint, flash, g, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from ..errors import Conflict, PermissionDenied, ServiceError, ValidationFailed
from ..events.models import Event
from ..extensions import db
from ..fragments import frozen, shared_fragment
from ..live.services import follow_from_here
from ..templating import viewer_timezone
from ..web import attach_errors, is_htmx, redirect_to, render, safe_next
from . import services
from .forms import CommentForm, JamSettingsForm, OfferForm, PitchForm
from .models import Comment, JamSettings, Pitch

bp = Blueprint("jams", __name__)

# Refusals a member can act on: shown inline (htmx) or beside the form (plain).
INLINE = (ValidationFailed, PermissionDenied, Conflict)


def _back(default: str) -> str:
    """Where a plain form goes after a change: the page it was on, else ``default``."""
    return safe_next(request.form.get("next")) or default


def _event_url(event_id: int, anchor: str = "", **args) -> str:
    url = url_for("events.show", event_id=event_id, **{k: v for k, v in args.items() if v})
    return f"{url}#{anchor}" if anchor else url


def _pitch_url(pitch_id: int, anchor: str = "") -> str:
    url = url_for("jams.show_pitch", pitch_id=pitch_id)
    return f"{url}#{anchor}" if anchor else url


# --- the jam on its event page -------------------------------------------------------------


@dataclass
class JamView:
    """Everything the jam section of an event page shows to one viewer."""

    event: Event
    board: services.Board
    voter: services.Voter
    can_manage: bool
    voting_closed: str | None
    submissions_closed: str | None
    pitch_form: PitchForm
    settings_form: JamSettingsForm | None
    back: str
    notice: str | None = None

    @property
    def settings(self) -> JamSettings:
        return self.board.settings


def _settings_form(settings: JamSettings) -> JamSettingsForm:
    return JamSettingsForm(formdata=None, obj=settings)


def _jam_view(event: Event, *, sort=None, tag=None, **extra) -> JamView:
    board = services.board(current_user, event.id, sort=sort, tag=tag)
    settings = board.settings
    can_manage = services.can_manage(current_user, event)
    if "pitch_form" not in extra:
        extra["pitch_form"] = PitchForm(formdata=None)
        extra["pitch_form"].pristine = True  # nothing typed, no errors: see new_pitch_form
    extra.setdefault("settings_form", _settings_form(settings) if can_manage else None)
    return JamView(
        event=event,
        board=board,
        voter=services.voter(current_user, event.id, settings),
        can_manage=can_manage,
        voting_closed=services.voting_closed_reason(event, settings),
        submissions_closed=services.submissions_closed_reason(event, settings),
        back=_event_url(event.id, "jam", sort=sort, tag=tag),
        **extra,
    )


bp.add_app_template_filter(services.tally_text, "tally")


@bp.app_template_global()
def pitch_card(pitch, settings: JamSettings, stats, event: Event):
    """A pitch's shared card (_pitch_card.html) on a list: rendered once per content."""
    context = {"pitch": pitch, "settings": settings, "stats": stats, "event": event}
    if not isinstance(pitch, services.ReadOnlyRow):
        return Markup(render_template("jams/_pitch_card.html", **context))
    return shared_fragment(
        "jams/_pitch_card.html", _card_key(pitch, settings, stats, event), settings.version or 0,
        **context,
    )  # fmt: skip


def _card_key(pitch, settings: JamSettings, stats, event: Event) -> tuple:
    return (frozen(pitch), frozen(stats), settings.tallies_visible, event.id)


@bp.app_template_global()
def board_item(pitch, settings: JamSettings, stats, event: Event, voter, voting_closed, back):
    """A board item (_board_item.html: the card and the viewer's vote), one rendering per
    content and kind of viewer."""
    context = {
        "pitch": pitch,
        "settings": settings,
        "stats": stats,
        "event": event,
        "voter": voter,
        "voting_closed": voting_closed,
        "back": back,
        "current_user": current_user,
    }
    if not isinstance(pitch, services.ReadOnlyRow):
        return Markup(render_template("jams/_board_item.html", **context))
    key = (_card_key(pitch, settings, stats, event), _vote_key(pitch, voter, voting_closed, back))
    return shared_fragment("jams/_board_item.html", key, settings.version or 0, **context)


def _viewer_id() -> int | None:
    """The signed-in viewer's id, or None; looked up once per request (a page asks hundreds
    of times, and ``current_user`` is a proxy)."""
    if "viewer_id" not in g:
        g.viewer_id = current_user.id if current_user.is_authenticated else None
    return g.viewer_id


def _vote_key(pitch, voter, voting_closed, back: str) -> tuple:
    voted = pitch.id in voter.voted
    return (
        pitch.id,
        pitch.title,
        pitch.is_withdrawn,
        voter.signed_in,
        pitch.author_id == _viewer_id(),
        voted,
        not voted and voter.votes_left == 0,
        voting_closed,
        back,
    )


@bp.app_template_global()
def vote_box(pitch, voter, voting_closed, back: str):
    """A board item's vote control (_vote.html): one rendering per kind of viewer."""
    return shared_fragment(
        "jams/_vote.html",
        _vote_key(pitch, voter, voting_closed, back),
        pitch=pitch,
        voter=voter,
        voting_closed=voting_closed,
        back=back,
        current_user=current_user,
        vote_error=None,
    )


@bp.app_template_global()
def comment_controls(comment, discussion: Discussion):
    """A comment's edit / delete / hide controls (_comment_controls.html), per kind of viewer."""
    key = (
        comment.id,
        comment.is_visible,
        comment.author.display_name,
        comment.author_id == _viewer_id(),
        discussion.can_moderate,
        discussion.editing == comment.id,
        discussion.edits_closed,
        discussion.key,
    )
    return shared_fragment(
        "jams/_comment_controls.html",
        key,
        comment=comment,
        discussion=discussion,
        current_user=current_user,
    )


@bp.app_template_global()
def reply_form(comment, discussion: Discussion):
    """A thread's reply box (_reply_form.html): the same for every signed-in viewer."""
    context = {"comment": comment, "discussion": discussion, "current_user": current_user}
    if discussion.failed_form == f"reply-{comment.id}":  # their refused reply, kept for them
        return Markup(render_template("jams/_reply_form.html", **context))
    key = (
        comment.id,
        comment.is_visible,
        comment.author.display_name,
        _viewer_id() is not None,
        discussion.closed,
        discussion.post_url,
        discussion.key,
    )
    return shared_fragment("jams/_reply_form.html", key, **context)


@bp.app_template_global()
def new_pitch_form(jam: JamView):
    """The board's "Pitch an idea" form (_pitch_form.html): the same for every signed-in member
    until they type into it, so one rendering (per sort and tag) serves them all."""
    context = {
        "form": jam.pitch_form,
        "closed": jam.submissions_closed,
        "inline": True,
        "pitch": None,
        "event": jam.event,
        "current_user": current_user,
    }
    if not getattr(jam.pitch_form, "pristine", False):
        return Markup(render_template("jams/_pitch_form.html", **context))
    key = (
        jam.event.id,
        jam.submissions_closed,
        _viewer_id() is not None,
        request.args.get("sort"),
        request.args.get("tag"),
    )
    return shared_fragment("jams/_pitch_form.html", key, **context)


@bp.app_template_global()
def comment_thread(thread, discussion: Discussion, tz: str):
    """A top-level comment with its controls, replies and reply box (_comment_item.html), as
    one viewer sees it: one rendering per kind of viewer (whose comments in it are theirs,
    host or not, signed in or not) serves everyone alike."""
    comments = [thread.comment, *thread.replies]
    context = {
        "comment": thread.comment,
        "replies": thread.replies,
        "discussion": discussion,
        "tz": tz,
        "current_user": current_user,
    }
    ids = {c.id for c in comments}
    busy = discussion.editing in ids or discussion.failed_form == f"reply-{thread.comment.id}"
    if busy or not all(isinstance(c, services.ReadOnlyRow) for c in comments):
        return Markup(render_template("jams/_comment_item.html", **context))
    viewer = _viewer_id()
    key = (
        tuple(c.cache_key for c in comments),
        tuple(c.author_id == viewer for c in comments),
        viewer is not None,
        discussion.can_moderate,
        discussion.edits_closed,
        discussion.closed,
        discussion.key,
        tz,
    )
    return shared_fragment("jams/_comment_item.html", key, **context)


@bp.app_template_global()
def comment_article(comment, tz: str):
    """A comment's shared HTML (_comment.html) on a list: rendered once per content."""
    if not isinstance(comment, services.ReadOnlyRow):
        return Markup(render_template("jams/_comment.html", comment=comment, tz=tz))
    key = (frozen(comment), tz)
    return shared_fragment("jams/_comment.html", key, comment=comment, tz=tz)


@bp.app_template_global()
def jam_on_page(event: Event) -> JamView:
    """The jam section of an event page (events/show.html includes it for research jams)."""
    return _jam_view(event, sort=request.args.get("sort"), tag=request.args.get("tag"))


def _jam_answer(event: Event, status: int = 200, **extra):
    """The whole jam section, for htmx requests that change it."""
    jam = _jam_view(event, sort=request.args.get("sort"), tag=request.args.get("tag"), **extra)
    return render("jams/_jam.html", status=status, jam=jam)


@bp.route("/events/<int:event_id>/jam", methods=["GET", "POST"])
@login_required
def jam_settings(event_id: int):
    event = services.get_managed_jam(current_user, event_id)
    if request.method == "GET":
        form = _settings_form(services.settings_for(event.id))
        return render("jams/settings.html", form=form, event=event)
    form = JamSettingsForm()
    try:
        if not form.validate():
            raise ValidationFailed("Please correct the highlighted fields.")
        services.update_settings(
            current_user,
            event.id,
            services.SettingsInput(
                submissions_open=form.submissions_open.data,
                voting_open=form.voting_open.data,
                tallies_visible=form.tallies_visible.data,
                change_budget=form.vote_budget.given,
                vote_budget=form.vote_budget.data,
            ),
        )
    except ValidationFailed as exc:
        if exc.field_errors:
            attach_errors(form, exc)
        if is_htmx():
            return _jam_answer(event, status=exc.status, settings_form=form)
        return render("jams/settings.html", status=exc.status, form=form, event=event)
    if is_htmx():
        return _jam_answer(event, notice="Jam settings saved.")
    flash("Jam settings saved.")
    return redirect_to(_event_url(event.id, "jam"))


# --- pitches -------------------------------------------------------------------------------


def _pitch_input(form: PitchForm) -> services.PitchInput:
    return services.PitchInput(
        title=form.title.data or "",
        summary=form.summary.data or "",
        looking_for=list(form.looking_for.data or []),
        tags=form.tags.data or "",
    )


def _form_refused(form, exc: ServiceError) -> None:
    if exc.field_errors:
        attach_errors(form, exc)
    else:
        form.form_errors.append(exc.message)


@bp.get("/events/<int:event_id>/pitches/new")
@login_required
def new_pitch(event_id: int):
    event = services.get_jam(current_user, event_id)
    closed = services.submissions_closed_reason(event, services.settings_for(event.id))
    return render(
        "jams/pitch_form.html",
        form=PitchForm(formdata=None),
        event=event,
        pitch=None,
        closed=closed,
    )


@bp.post("/events/<int:event_id>/pitches")
@login_required
def create_pitch(event_id: int):
    event = services.get_jam(current_user, event_id)
    form = PitchForm()
    try:
        pitch = services.create_pitch(current_user, event.id, _pitch_input(form))
    except (ValidationFailed, Conflict) as exc:
        _form_refused(form, exc)
        if is_htmx():
            return _jam_answer(event, status=exc.status, pitch_form=form)
        return render("jams/pitch_form.html", status=exc.status, form=form, event=event, pitch=None)
    if is_htmx():
        return _jam_answer(event, notice=f"Your pitch “{pitch.title}” is on the board.")
    flash("Your pitch is on the board.")
    return redirect_to(_pitch_url(pitch.id))


def _pitch_page(pitch: Pitch, status: int = 200, fragment: str | None = None, **extra):
    """The pitch page for the current viewer (or one of its fragments for htmx)."""
    event = pitch.event
    settings = services.settings_for(event.id)
    extra.setdefault("offers", _offers_view(pitch))
    extra.setdefault("discussion", _discussion(event, pitch))
    return render(
        "jams/pitch.html",
        fragment,
        status=status,
        pitch=pitch,
        event=event,
        settings=settings,
        tz=viewer_timezone() or event.timezone,
        voter=services.voter(current_user, event.id, settings),
        voting_closed=services.voting_closed_reason(event, settings),
        is_author=current_user.is_authenticated and pitch.author_id == current_user.id,
        edits_closed=services.pitch_edits_closed_reason(event),
        back=_pitch_url(pitch.id),
        **extra,
    )


@bp.get("/pitches/<int:pitch_id>")
def show_pitch(pitch_id: int):
    pitch = services.get_pitch(current_user, pitch_id)
    follow_from_here(pitch.event_id)
    db.session.expire(pitch)  # what the page shows is read after that point
    return _pitch_page(pitch, fragment="jams/_pitch_detail.html")


@bp.route("/pitches/<int:pitch_id>/edit", methods=["GET", "POST"])
@login_required
def edit_pitch(pitch_id: int):
    pitch = services.get_own_pitch(current_user, pitch_id)
    form = PitchForm()
    status = 200
    if request.method == "GET":
        form.title.data, form.summary.data = pitch.title, pitch.summary
        form.looking_for.data, form.tags.data = pitch.skills, ", ".join(pitch.tags)
    else:
        try:
            services.update_pitch(current_user, pitch.id, _pitch_input(form))
        except (ValidationFailed, Conflict) as exc:
            _form_refused(form, exc)
            status = exc.status
        else:
            flash("Your pitch is saved.")
            return redirect_to(_pitch_url(pitch.id))
    return render(
        "jams/pitch_form.html",
        "jams/_pitch_form.html",
        status=status,
        form=form,
        event=pitch.event,
        pitch=pitch,
    )


@bp.post("/pitches/<int:pitch_id>/withdraw")
@login_required
def withdraw_pitch(pitch_id: int):
    pitch = services.withdraw_pitch(current_user, pitch_id)
    if is_htmx():
        return _pitch_page(pitch, fragment="jams/_pitch_detail.html")
    flash("Your pitch is withdrawn: it is off the board, and its voters got their votes back.")
    return redirect_to(_pitch_url(pitch.id))


# --- votes ---------------------------------------------------------------------------------


@bp.post("/pitches/<int:pitch_id>/vote")
@login_required
def vote(pitch_id: int):
    raw = request.form.get("vote")
    try:
        if raw not in (None, "on", "off"):
            raise ValidationFailed("Send vote=on, vote=off, or no vote field to switch your vote.")
        services.cast_vote(current_user, pitch_id, None if raw is None else raw == "on")
    except INLINE as exc:
        pitch = services.get_pitch(current_user, pitch_id)
        if is_htmx():
            return _vote_answer(pitch, status=exc.status, vote_error=exc.message)
        return _pitch_page(pitch, status=exc.status, vote_error=exc.message)
    pitch = services.get_pitch(current_user, pitch_id)
    if is_htmx():
        return _vote_answer(pitch)
    return redirect_to(_back(_pitch_url(pitch.id)))


def _vote_answer(pitch: Pitch, status: int = 200, vote_error: str | None = None):
    """The viewer's vote control, with the pitch's tally and their votes left beside it."""
    event = pitch.event
    settings = services.settings_for(event.id)
    # The tally is labelled with the settings' version: read the counts after it, so the label
    # is never newer than what it shows (a newer live tally would otherwise lose to this one).
    db.session.refresh(pitch)
    return render(
        "jams/_vote_answer.html",
        status=status,
        pitch=pitch,
        event=event,
        settings=settings,
        voter=services.voter(current_user, event.id, settings),
        voting_closed=services.voting_closed_reason(event, settings),
        vote_error=vote_error,
        back=_back(_pitch_url(pitch.id)),
    )


# --- offers --------------------------------------------------------------------------------


@dataclass
class OffersView:
    pitch: Pitch
    team: list
    pending: list
    mine: object | None
    # Why nobody can offer or accept now (a cancelled jam), or None.
    closed: str | None = None
    error: str | None = None
    note_error: str | None = None
    note: str = ""


def _offers_view(pitch: Pitch, exc: ServiceError | None = None, note: str = "") -> OffersView:
    offers = services.offers_for(pitch.id)
    return OffersView(
        pitch=pitch,
        team=offers.team,
        pending=offers.pending,
        mine=offers.of(current_user),
        closed=services.offers_closed_reason(pitch.event),
        error=exc.message if exc is not None and not exc.field_errors else None,
        note_error=exc.field_errors.get("note") if exc is not None else None,
        note=note if exc is not None else "",
    )


def _offers_answer(pitch: Pitch, exc: ServiceError | None = None, note: str = ""):
    offers = _offers_view(pitch, exc, note)
    status = exc.status if exc is not None else 200
    if is_htmx():
        return render("jams/_offers.html", status=status, offers=offers, pitch=pitch)
    return _pitch_page(pitch, status=status, offers=offers)


@bp.post("/pitches/<int:pitch_id>/offers")
@login_required
def make_offer(pitch_id: int):
    form = OfferForm()
    try:
        services.make_offer(current_user, pitch_id, form.note.data or "")
    except INLINE as exc:
        return _offers_answer(services.get_pitch(current_user, pitch_id), exc, form.note.data)
    if is_htmx():
        return _offers_answer(services.get_pitch(current_user, pitch_id))
    flash("Your offer is sent: the author sees it on the pitch.")
    return redirect_to(_back(_pitch_url(pitch_id, f"offers-{pitch_id}")))


def _offer_action(offer_id: int, action, done: str):
    pitch_id = services.get_offer(current_user, offer_id).pitch_id
    try:
        action(current_user, offer_id)
    except INLINE as exc:
        return _offers_answer(services.get_pitch(current_user, pitch_id), exc)
    if is_htmx():
        return _offers_answer(services.get_pitch(current_user, pitch_id))
    flash(done)
    return redirect_to(_back(_pitch_url(pitch_id, f"offers-{pitch_id}")))


@bp.post("/offers/<int:offer_id>/accept")
@login_required
def accept_offer(offer_id: int):
    return _offer_action(offer_id, services.accept_offer, "Accepted: they are on the team.")


@bp.post("/offers/<int:offer_id>/withdraw")
@login_required
def withdraw_offer(offer_id: int):
    return _offer_action(offer_id, services.withdraw_offer, "Your offer is withdrawn.")


# --- comments ------------------------------------------------------------------------------


@dataclass
class Discussion:
    """The comments of one event or pitch, as one viewer sees them with their own controls."""

    event: Event
    pitch: Pitch | None
    threads: list[services.Thread]
    can_moderate: bool
    # Why nobody can comment here now (a cancelled event, a withdrawn pitch), or None.
    closed: str | None = None
    # Why authors cannot edit their comments here now (a cancelled event, a withdrawn pitch),
    # or None.
    edits_closed: str | None = None
    alert: str | None = None
    # The form a refused comment came from ("new", "reply-<id>", "edit-<id>"), its text, why.
    failed_form: str | None = None
    failed_body: str = ""
    failed_message: str | None = None
    editing: int | None = None

    @property
    def key(self) -> str:
        return f"pitch-{self.pitch.id}" if self.pitch else f"event-{self.event.id}"

    @cached_property
    def post_url(self) -> str:
        if self.pitch:
            return url_for("jams.comment_on_pitch", pitch_id=self.pitch.id)
        return url_for("jams.comment_on_event", event_id=self.event.id)

    @property
    def page_url(self) -> str:
        return _pitch_url(self.pitch.id) if self.pitch else _event_url(self.event.id)

    @property
    def count(self) -> int:
        comments = [t.comment for t in self.threads]
        comments += [r for t in self.threads for r in t.replies]
        return sum(c.is_visible for c in comments)

    def error_for(self, form: str) -> str | None:
        return self.failed_message if self.failed_form == form else None


def _discussion(event: Event, pitch: Pitch | None, **extra) -> Discussion:
    return Discussion(
        event=event,
        pitch=pitch,
        threads=services.comments_on(event.id, pitch.id if pitch else None),
        can_moderate=services.can_moderate(current_user, event),
        closed=services.comments_closed_reason(event, pitch),
        edits_closed=services.comment_edits_closed_reason(event, pitch),
        **extra,
    )


@bp.app_template_global()
def event_discussion(event: Event) -> Discussion:
    """The comments section of an event page (events/show.html includes it)."""
    return _discussion(event, None)


def _discussion_answer(event: Event, pitch: Pitch | None, status: int = 200, **extra):
    discussion = _discussion(event, pitch, **extra)
    return render(
        "jams/_comments.html",
        status=status,
        discussion=discussion,
        tz=viewer_timezone() or event.timezone,
    )


def _post_comment(**target):
    event, pitch = services.comment_target(current_user, **target)
    form = CommentForm()
    raw_parent = (form.parent_id.data or "").strip()
    which = f"reply-{raw_parent}" if raw_parent else "new"
    try:
        if raw_parent and (not raw_parent.isdigit() or len(raw_parent) > 10):
            raise ValidationFailed(
                "Reply to a comment on this page.", {"body": "Reply to a comment on this page."}
            )
        comment = services.add_comment(
            current_user,
            form.body.data or "",
            parent_id=int(raw_parent) if raw_parent else None,
            **target,
        )
    except (ValidationFailed, Conflict) as exc:
        failed = {"failed_form": which, "failed_body": form.body.data or ""}
        if exc.field_errors:
            failed["failed_message"] = exc.message
        else:
            failed["alert"] = exc.message
        if is_htmx():
            return _discussion_answer(event, pitch, status=exc.status, **failed)
        return render(
            "jams/comment_form.html",
            status=exc.status,
            discussion=_discussion(event, pitch, **failed),
            parent_id=raw_parent,
        )
    if is_htmx():
        return _discussion_answer(event, pitch)
    return redirect_to(services.comment_path(comment))


@bp.post("/pitches/<int:pitch_id>/comments")
@login_required
def comment_on_pitch(pitch_id: int):
    return _post_comment(pitch_id=pitch_id)


@bp.post("/events/<int:event_id>/comments")
@login_required
def comment_on_event(event_id: int):
    return _post_comment(event_id=event_id)


def _place(comment: Comment):
    event, pitch = services.comment_target(
        current_user, event_id=comment.event_id, pitch_id=comment.pitch_id
    )
    return event, pitch


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(comment_id: int):
    comment = services.get_own_comment(current_user, comment_id)
    event, pitch = _place(comment)
    if request.method == "GET":
        discussion = _discussion(event, pitch, editing=comment.id)
        return render(
            "jams/comment_edit.html",
            "jams/_comment_edit.html",
            comment=comment,
            discussion=discussion,
            body=comment.body,
        )
    form = CommentForm()
    try:
        services.edit_comment(current_user, comment.id, form.body.data or "")
    except ValidationFailed as exc:
        failed = {
            "editing": comment.id,
            "failed_form": f"edit-{comment.id}",
            "failed_body": form.body.data or "",
            "failed_message": exc.message,
        }
        if is_htmx():
            return _discussion_answer(event, pitch, status=exc.status, **failed)
        return render(
            "jams/comment_edit.html",
            status=exc.status,
            comment=comment,
            discussion=_discussion(event, pitch, **failed),
            body=form.body.data or "",
        )
    if is_htmx():
        return _discussion_answer(event, pitch)
    return redirect_to(services.comment_path(comment))


def _comment_action(comment_id: int, action, done: str):
    comment = services.get_comment(current_user, comment_id)
    event, pitch = _place(comment)
    key = f"comments-pitch-{pitch.id}" if pitch else f"comments-event-{event.id}"
    page = _pitch_url(pitch.id, key) if pitch else _event_url(event.id, key)
    try:
        action(current_user, comment.id)
    except (PermissionDenied, Conflict) as exc:
        if not is_htmx():
            raise
        return _discussion_answer(event, pitch, status=exc.status, alert=exc.message)
    if is_htmx():
        return _discussion_answer(event, pitch)
    flash(done)
    return redirect_to(_back(page))


@bp.post("/comments/<int:comment_id>/delete")
@login_required
def delete_comment(comment_id: int):
    return _comment_action(comment_id, services.delete_comment, "Your comment is deleted.")


@bp.post("/comments/<int:comment_id>/hide")
@login_required
def hide_comment(comment_id: int):
    return _comment_action(
        comment_id, services.hide_comment, "The comment is hidden; its author was told."
    )


@bp.app_template_global()
def can_moderate_event(event: Event) -> bool:
    """Whether the viewer may hide comments here (tells jams.js to offer "Hide")."""
    return services.can_moderate(current_user, event)
