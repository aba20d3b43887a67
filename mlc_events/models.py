"""Import every model so that SQLAlchemy and Alembic see the whole schema."""

from .auth.models import LoginFailure, User
from .events.models import RSVP, Event, event_hosts
from .notices.models import Notice
from .outbox.models import OutgoingMail
from .series.models import Series, StandingRSVP, series_hosts

__all__ = [
    "RSVP",
    "Event",
    "LoginFailure",
    "Notice",
    "OutgoingMail",
    "Series",
    "StandingRSVP",
    "User",
    "event_hosts",
    "series_hosts",
]
