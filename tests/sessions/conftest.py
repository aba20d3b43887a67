"""Session fixtures: a jam with pitches, its host, and the session actions as that host."""

from tests.jams.conftest import configure, jam, login, make_jam, make_pitch  # noqa: F401
