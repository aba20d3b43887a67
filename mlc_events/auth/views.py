"""Register, sign in and out, reset a password; the member's profile page."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import TooManyAttempts, ValidationFailed
from ..web import attach_errors, render, safe_next
from . import services
from .forms import ForgotForm, LoginForm, PasswordForm, ProfileForm, RegisterForm, ResetForm

bp = Blueprint("auth", __name__, url_prefix="/auth")
account_bp = Blueprint("account", __name__, url_prefix="/account")


def _after_login():
    return redirect(safe_next(request.args.get("next")) or url_for("main.index"), 303)


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register(
                form.email.data, form.display_name.data, form.password.data, form.timezone.data
            )
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            login_user(user)
            flash(f"Welcome, {user.display_name}! Your account is ready.")
            return _after_login()
    status = 422 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                form.email.data, form.password.data, request.remote_addr or "unknown"
            )
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            login_user(user, remember=form.remember.data)
            return _after_login()
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("main.index"), 303)


@bp.route("/reset", methods=["GET", "POST"])
def forgot_password():
    form = ForgotForm()
    if form.validate_on_submit():
        try:
            services.request_password_reset(form.email.data, request.remote_addr or "unknown")
        except TooManyAttempts as exc:
            attach_errors(form, exc)
            page = render_template("auth/forgot.html", form=form)
            return page, 429, {"Retry-After": str(exc.retry_after)}
        flash("If an account uses that email, we sent it a link to choose a new password.")
        return redirect(url_for("auth.login"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/forgot.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = services.user_for_reset_token(token)
    form = ResetForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            login_user(user)
            flash("Your password was changed.")
            return redirect(url_for("main.index"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/reset.html", form=form, user=user), status


@account_bp.route("", methods=["GET", "POST"])
@login_required
def profile():
    profile_form = ProfileForm(obj=current_user, prefix="")
    password_form = PasswordForm()
    status = 200
    if request.method == "POST":
        # One URL, two forms: the password form is the one with a current password.
        if "current_password" in request.form:
            if password_form.validate_on_submit():
                try:
                    services.change_password(
                        current_user,
                        password_form.current_password.data,
                        password_form.new_password.data,
                        request.remote_addr,
                    )
                except ValidationFailed as exc:
                    attach_errors(password_form, exc)
                else:
                    # Other devices are signed out (their session id names the old
                    # password); this one signs in again under the new one.
                    login_user(current_user._get_current_object())
                    flash("Your password was changed. Other devices are signed out.")
                    return redirect(url_for("account.profile"), 303)
        elif profile_form.validate_on_submit():
            try:
                services.update_profile(
                    current_user,
                    profile_form.display_name.data,
                    profile_form.intro.data,
                    profile_form.timezone.data,
                )
            except ValidationFailed as exc:
                attach_errors(profile_form, exc)
            else:
                flash("Your profile was saved.")
                return redirect(url_for("account.profile"), 303)
        status = 422
    return render(
        "account/profile.html",
        status=status,
        profile_form=profile_form,
        password_form=password_form,
    )
