"""Fast password hashing for the account tests that sign in and register a lot."""

from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from tests.conftest import PASSWORD

# A hash that checks in microseconds: scrypt takes 0.1 s a check. test_services.py checks that
# real passwords are hashed with scrypt, so it does not use these.
FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def fast_hashing(monkeypatch):
    """Passwords set during the test are hashed the fast way too."""
    from mlc_events.auth import models

    real = models.generate_password_hash
    monkeypatch.setattr(
        models, "generate_password_hash", lambda pw, method=None: real(pw, "pbkdf2:sha256:1")
    )
