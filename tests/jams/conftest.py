"""Jam fixtures: a research jam, pitches by keyword, settings changed by the jam's host."""

from __future__ import annotations

import pytest

from mlc_events.jams import services
from mlc_events.jams.models import Pitch


@pytest.fixture
def make_jam(make_event):
    def make(**kw):
        kw.setdefault("kind", "research-jam")
        kw.setdefault("title", "Research jam: small models")
        return make_event(**kw)

    return make


@pytest.fixture
def make_pitch(make_user):
    def make(event, author=None, **kw) -> Pitch:
        data = services.PitchInput(
            title=kw.pop("title", "Tiny recursive reasoners"),
            summary=kw.pop("summary", "Refine the answer **a few times**."),
            looking_for=kw.pop("looking_for", ["code", "compute"]),
            tags=kw.pop("tags", "reasoning, small models"),
        )
        assert not kw, f"unknown pitch fields: {kw}"
        return services.create_pitch(author or make_user(), event.id, data)

    return make


@pytest.fixture
def configure():
    """Change a jam's settings as its first host."""

    def change(event, **kw):
        if "vote_budget" in kw:
            kw["change_budget"] = True
        return services.update_settings(event.hosts[0], event.id, services.SettingsInput(**kw))

    return change


@pytest.fixture
def jam(make_jam):
    return make_jam(title="Research jam: small models")


@pytest.fixture
def login(new_client):
    """A client signed in as the user."""

    def make(user):
        client = new_client()
        client.login(user)
        return client

    return make
