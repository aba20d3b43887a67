"""The home page and notices."""

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user, login_required

from .events import services as events
from .notices import services as notices
from .web import render, safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    return render(
        "index.html",
        upcoming=events.upcoming(current_user, limit=10, exclude_kind="research-jam"),
        jams=events.upcoming(current_user, kind="research-jam", limit=4),
    )


@bp.post("/notices/<int:notice_id>/dismiss")
@login_required
def dismiss_notice(notice_id: int):
    notices.dismiss(current_user.id, notice_id)
    if request.headers.get("HX-Request"):
        return "", 200
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"), 303)
