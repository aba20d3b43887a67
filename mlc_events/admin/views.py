"""Admin pages: members and their roles."""

from flask import Blueprint, flash, request, url_for
from flask_login import current_user, login_required

from ..auth import services as auth
from ..auth.models import ROLES
from ..errors import NotFound, PermissionDenied, ValidationFailed
from ..outbox import services as outbox
from ..security import MAX_ID
from ..web import redirect_to, render

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@login_required
def users():
    if not current_user.is_admin:
        raise PermissionDenied("Only admins can see this page.")
    return render("admin/users.html", users=auth.list_users(), roles=ROLES)


@bp.post("/users/<int:user_id>/role")
@login_required
def set_role(user_id: int):
    try:
        user = auth.set_role(current_user, user_id, request.form.get("role", ""))
    except ValidationFailed as exc:
        return render(
            "admin/users.html",
            status=422,
            users=auth.list_users(),
            roles=ROLES,
            error=" ".join(filter(None, [exc.message, exc.field_errors.get("role")])),
            error_user=user_id,
        )
    flash(f"{user.display_name} is now {user.role}.")
    return redirect_to(url_for("admin.users"))


@bp.get("/mail")
@login_required
def mail_queue():
    return render("admin/mail.html", **outbox.queue_status(current_user))


@bp.post("/mail/retry")
@login_required
def retry_mail():
    raw = request.form.get("mail_id", "").strip()
    if raw and not (raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID):
        # Not "retry them all": a garbled id (or one past any table's range) is no such mail.
        raise NotFound("No such mail.")
    count = outbox.retry(current_user, int(raw) if raw else None)
    flash(f"{count} mail(s) will be sent again now.")
    return redirect_to(url_for("admin.mail_queue"))
