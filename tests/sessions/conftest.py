"""Session fixtures: a jam with pitches, its host, and the session actions as that host."""

import pytest

from mlc_events.sessions import services
from tests.jams.conftest import configure, jam, login, make_jam, make_pitch  # noqa: F401


@pytest.fixture
def start_session(request, make_user):
    """A jam with ``pitches`` pitches (each by its own author), its session started by its
    host: returns (jam, host, pitches)."""

    new_jam, new_pitch = request.getfixturevalue("make_jam"), request.getfixturevalue("make_pitch")

    def start(pitches: int):
        event = new_jam()
        made = [new_pitch(event, title=f"Idea {n}", author=make_user()) for n in range(pitches)]
        services.start(event.hosts[0], event.id)
        return event, event.hosts[0], made

    return start
