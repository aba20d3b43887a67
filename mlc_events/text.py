"""Checks for text members type: control characters, bidi tricks, invisible-only input."""

from __future__ import annotations

import re
import unicodedata

# None in one-line text (nor bidi overrides, which make "Ada" render as someone else's name).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Multi-line text may hold tabs and line breaks, still no bidi overrides.
CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def normalise(text: str | None) -> str:
    """NFC (an é typed two ways is one é), trimmed."""
    return unicodedata.normalize("NFC", text or "").strip()


def is_blank(text: str) -> bool:
    """True when nothing visible is left: only spaces and zero-width or format characters."""
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in text)
