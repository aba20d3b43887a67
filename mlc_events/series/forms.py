"""The series form."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import DateInput, TimeInput

from ..auth.forms import timezone_choices
from ..events.forms import TOO_LONG, CapacityField, WholeNumberField
from ..events.models import KINDS, VISIBILITIES
from .models import FREQUENCIES


class SeriesForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[InputRequired("Give the series a title."), Length(max=200, message=TOO_LONG)],
    )
    kind = SelectField(
        "Kind", choices=[SelectChoice(k, v) for k, v in KINDS.items()], validate_choice=False
    )
    description = TextAreaField(
        "Description (Markdown)", validators=[Optional(), Length(max=20_000, message=TOO_LONG)]
    )
    first_date = StringField(
        "First date",
        widget=DateInput(),
        validators=[InputRequired("Enter the date of the first one.")],
    )
    start_time = StringField(
        "Starts at", widget=TimeInput(), validators=[InputRequired("Enter a start time.")]
    )
    duration_minutes = WholeNumberField("Length in minutes", default=90)
    timezone = SelectField(
        "Timezone", choices=lambda: timezone_choices()[1:], validate_choice=False
    )
    frequency = RadioField(
        "Repeats",
        choices=[SelectChoice(k, v) for k, v in FREQUENCIES.items()],
        default="weekly",
        validate_choice=False,
    )
    interval = WholeNumberField("Weekly series: every how many weeks", default=1)
    monthly_week = SelectField(
        "Monthly series: which week of the month",
        choices=[
            SelectChoice("", "As on the first date"),
            SelectChoice("1", "First"),
            SelectChoice("2", "Second"),
            SelectChoice("3", "Third"),
            SelectChoice("4", "Fourth"),
            SelectChoice("last", "Last"),
        ],
        validate_choice=False,
    )
    until = StringField("Last date (optional)", widget=DateInput(), validators=[Optional()])
    horizon_weeks = WholeNumberField("Plan how many weeks ahead", default=8)
    location = StringField("Place", validators=[Optional(), Length(max=300, message=TOO_LONG)])
    online_url = StringField(
        "Online link", validators=[Optional(), Length(max=500, message=TOO_LONG)]
    )
    capacity = CapacityField("Capacity of each (empty for no limit)")
    visibility = RadioField(
        "Who can see it",
        choices=[SelectChoice(k, v) for k, v in VISIBILITIES.items()],
        default="public",
        validate_choice=False,
    )
