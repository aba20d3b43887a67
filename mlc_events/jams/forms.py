"""Forms of the jam: a pitch, the jam's settings, a comment, an offer.

The services validate (one place for every rule and message); these classes name the fields,
label them and parse what a browser or a script sends.
"""

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from ..events.forms import WholeNumberField
from .models import SKILLS

ON = ("on", "1", "true", "yes")
OFF = ("off", "0", "false", "no", "")


class SkillsField(SelectMultipleField):
    """Checkboxes; a script may also send one comma separated value."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def process_formdata(self, valuelist):
        self.data = [v for v in valuelist if v is not None]

    def pre_validate(self, form):
        pass  # the service says which skill is unknown, in words


class SwitchField(Field):
    """On or off. The form posts a hidden "off" before the checkbox's "on": the last value
    wins, so an unticked box still says off; a request without the field leaves it as is."""

    widget = CheckboxInput()

    def process_formdata(self, valuelist):
        if not valuelist:
            self.data = None
            return
        value = valuelist[-1].strip().lower()
        if value in ON:
            self.data = True
        elif value in OFF:
            self.data = False
        else:
            self.data = None
            raise ValueError("Choose on or off.")


class BudgetField(WholeNumberField):
    message = "Enter a whole number, or leave it empty for one vote per pitch."

    @property
    def given(self) -> bool:
        """Whether the request carried the field at all (empty means no budget)."""
        return bool(getattr(self, "raw_data", None))


class PitchForm(FlaskForm):
    title = StringField("Title")
    summary = TextAreaField("Summary (Markdown)")
    looking_for = SkillsField(
        "Looking for help with", choices=[SelectChoice(k, v) for k, v in SKILLS.items()]
    )
    tags = StringField("Tags (comma separated)")


class JamSettingsForm(FlaskForm):
    submissions_open = SwitchField("Pitch submissions are open")
    voting_open = SwitchField("Voting is open")
    tallies_visible = SwitchField("Show vote tallies while voting")
    vote_budget = BudgetField("Votes per member (empty: one vote per pitch, no limit)")


class CommentForm(FlaskForm):
    body = TextAreaField("Comment (Markdown)")
    parent_id = HiddenField()


class OfferForm(FlaskForm):
    note = StringField("What you would bring (one line)")
