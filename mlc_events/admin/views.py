"""Admin pages: members and their roles."""

from flask import Blueprint, flash, request, url_for
from flask_login import current_user, login_required

from ..auth import services as auth
from ..auth.models import ROLES
from ..errors import PermissionDenied, ValidationFailed
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
