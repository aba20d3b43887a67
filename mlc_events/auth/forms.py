"""Sign-in, registration, profile and password forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms import TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional

from ..timeutil import timezone_names
from .services import MAX_PASSWORD, MIN_PASSWORD

EMAIL = [InputRequired("Enter your email address."), Email("Enter a valid email address."),
         Length(max=254)]  # fmt: skip
NEW_PASSWORD = [
    InputRequired("Choose a password."),
    Length(MIN_PASSWORD, MAX_PASSWORD, f"Use {MIN_PASSWORD} to {MAX_PASSWORD} characters."),
]


def timezone_choices() -> list[tuple[str, str]]:
    return [("", "Use my browser's timezone")] + [(n, n.replace("_", " ")) for n in timezone_names()]


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL)
    display_name = StringField(
        "Display name",
        validators=[InputRequired("Enter the name people will see."), Length(max=80)],
    )
    password = PasswordField("Password", validators=NEW_PASSWORD)
    timezone = HiddenField("Timezone")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL)
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])
    remember = BooleanField("Keep me signed in on this device")


class ProfileForm(FlaskForm):
    display_name = StringField(
        "Display name",
        validators=[InputRequired("Enter the name people will see."), Length(max=80)],
    )
    intro = TextAreaField(
        "Short intro", validators=[Optional(), Length(max=1000, message="Use at most 1000 characters.")]
    )
    timezone = SelectField("Timezone", choices=timezone_choices, validate_choice=False)


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")]
    )
    new_password = PasswordField("New password", validators=NEW_PASSWORD)


class ForgotForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL)


class ResetForm(FlaskForm):
    password = PasswordField("New password", validators=NEW_PASSWORD)
