"""Sign-in, registration, profile and password forms."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional

from ..timeutil import timezone_names
from .services import MAX_EMAIL, MAX_INTRO, MAX_NAME, MAX_PASSWORD, MIN_PASSWORD

EMAIL = [
    InputRequired("Enter your email address."),
    Length(max=MAX_EMAIL, message=f"Use at most {MAX_EMAIL} characters."),
    Email("Enter a valid email address."),
]
DISPLAY_NAME = [
    InputRequired("Enter the name people will see."),
    Length(max=MAX_NAME, message=f"Use at most {MAX_NAME} characters."),
]

NEW_PASSWORD = [
    InputRequired("Choose a password."),
    Length(MIN_PASSWORD, MAX_PASSWORD, f"Use {MIN_PASSWORD} to {MAX_PASSWORD} characters."),
]


def strip(value):
    """Pasted addresses often carry a space at either end."""
    return value.strip() if isinstance(value, str) else value


def timezone_choices() -> list[SelectChoice]:
    return [SelectChoice("", "Use my browser's timezone")] + [
        SelectChoice(n, n.replace("_", " ")) for n in timezone_names()
    ]


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL, filters=[strip])
    display_name = StringField("Display name", validators=DISPLAY_NAME)
    password = PasswordField("Password", validators=NEW_PASSWORD)
    timezone = HiddenField("Timezone")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL, filters=[strip])
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])
    remember = BooleanField("Keep me signed in on this device")


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=DISPLAY_NAME)
    intro = TextAreaField(
        "Short intro",
        validators=[
            Optional(),
            Length(max=MAX_INTRO, message=f"Use at most {MAX_INTRO} characters."),
        ],
    )
    timezone = SelectField("Timezone", choices=timezone_choices, validate_choice=False)


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")]
    )
    new_password = PasswordField("New password", validators=NEW_PASSWORD)


class ForgotForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL, filters=[strip])


class ResetForm(FlaskForm):
    password = PasswordField("New password", validators=NEW_PASSWORD)
