"""The jam fixtures, for the live tests."""

from tests.jams.conftest import configure, make_jam, make_pitch  # noqa: F401 - fixtures
