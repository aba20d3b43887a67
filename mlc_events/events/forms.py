"""The event form."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import DateTimeLocalInput

from ..auth.forms import timezone_choices
from .models import KINDS, VISIBILITIES

TOO_LONG = "Use at most %(max)d characters."


class WholeNumberField(IntegerField):
    """An optional whole number (empty is None), with a message a member understands."""

    message = "Enter a whole number."

    def process_formdata(self, valuelist):
        raw = (valuelist or [""])[0].strip()
        if not raw:
            self.data = None
            return
        try:
            self.data = int(raw)
        except ValueError as exc:
            self.data = None
            raise ValueError(self.message) from exc


class CapacityField(WholeNumberField):
    message = "Enter a whole number, or leave it empty for no limit."


class EventForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[InputRequired("Give the event a title."), Length(max=200, message=TOO_LONG)],
    )
    kind = SelectField(
        "Kind", choices=[SelectChoice(k, v) for k, v in KINDS.items()], validate_choice=False
    )
    description = TextAreaField(
        "Description (Markdown)", validators=[Optional(), Length(max=20_000, message=TOO_LONG)]
    )
    starts_at = StringField(
        "Starts", widget=DateTimeLocalInput(), validators=[InputRequired("Enter a start time.")]
    )
    ends_at = StringField(
        "Ends", widget=DateTimeLocalInput(), validators=[InputRequired("Enter an end time.")]
    )
    timezone = SelectField(
        "Timezone of the event", choices=lambda: timezone_choices()[1:], validate_choice=False
    )
    location = StringField("Place", validators=[Optional(), Length(max=300, message=TOO_LONG)])
    online_url = StringField(
        "Online link", validators=[Optional(), Length(max=500, message=TOO_LONG)]
    )
    capacity = CapacityField("Capacity (empty for no limit)")
    visibility = RadioField(
        "Who can see it",
        choices=[SelectChoice(k, v) for k, v in VISIBILITIES.items()],
        default="public",
        validate_choice=False,
    )
    co_hosts = StringField("Co-hosts (emails, comma separated)", validators=[Optional()])
