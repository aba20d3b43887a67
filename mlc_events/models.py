"""Import every model so that SQLAlchemy and Alembic see the whole schema."""

from .auth.models import LoginFailure, User
from .events.models import RSVP, Event, event_hosts
from .jams.models import Comment, JamSettings, Offer, Pitch, PitchTag, QuestionVote, Vote
from .notices.models import Notice
from .outbox.models import OutgoingMail
from .series.models import Series, StandingRSVP, series_hosts
from .sessions.models import JamSession, SessionResult

__all__ = [
    "RSVP",
    "Comment",
    "Event",
    "JamSession",
    "JamSettings",
    "LoginFailure",
    "Notice",
    "Offer",
    "OutgoingMail",
    "Pitch",
    "PitchTag",
    "QuestionVote",
    "Series",
    "SessionResult",
    "StandingRSVP",
    "User",
    "Vote",
    "event_hosts",
    "series_hosts",
]
