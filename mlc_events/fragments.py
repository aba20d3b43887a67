"""Shared fragments rendered once per content and reused by every page that lists them.

A pitch card or a comment is the same HTML for every viewer (that is what lets the live stream
send one rendering to everyone). Pages that list a hundred of them render each once per
content, not once per page view: ``shared_fragment`` keeps the HTML in a bounded in-process
LRU cache keyed by everything the fragment shows (``key``), so a change of any of it renders
anew and nothing is ever invalidated by hand.

The one exception is the jam's live version inside a card's tally (``data-version``): every
vote changes it for every card, while the card's HTML otherwise stays the same; the cache
keeps the HTML and writes the current version into it (``version=``).
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Hashable

from flask import current_app, g
from markupsafe import Markup

SIZE = 5000  # entries; a card or a comment is about 1 KB


class FragmentCache:
    def __init__(self, size: int = SIZE):
        self.size = size
        self.lock = threading.Lock()
        self.entries: OrderedDict[Hashable, tuple[str, int | None]] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> tuple[str, int | None] | None:
        # Lock-free: a page reads hundreds of entries; each dict operation is atomic, and an
        # entry evicted meanwhile is simply a miss or stays unmoved.
        entry = self.entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        with contextlib.suppress(KeyError):
            self.entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: Hashable, html: str, version: int | None) -> None:
        with self.lock:
            self.entries[key] = (html, version)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


def frozen(value) -> Hashable:
    """A hashable copy of a fragment's input: its ``cache_key`` if it has one (read-only rows),
    dataclasses and lists as tuples."""
    key = getattr(value, "cache_key", None)
    if key is not None:
        return key
    if isinstance(value, list | tuple):
        return tuple(frozen(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return tuple(frozen(getattr(value, name)) for name in value.__dataclass_fields__)
    return value


# Stands in for the viewer's CSRF token in cached forms; each page writes its own token in.
CSRF_SLOT = "\x00csrf-token\x00"


def _slot() -> str:
    return CSRF_SLOT


def shared_fragment(template: str, key: Hashable, version: int | None = None, **context):
    """The fragment rendered with ``context``, from the cache when ``key`` was seen before.

    ``key`` must hold everything the template reads, the viewer included: a per-viewer
    fragment (a vote button, a reply form) is keyed by what the viewer is to it (signed in,
    its author, voted), never by who they are, so a few renderings serve everyone. Forms in it
    get the viewer's CSRF token when served.
    """
    cache: FragmentCache = current_app.extensions["fragments"]
    full_key = (template, key)
    entry = cache.get(full_key)
    if entry is None:
        context.setdefault("csrf_token", _slot)
        # Fragments cached inside this one keep the stand-in: only the outermost writes the
        # viewer's token in (else one viewer's token would be cached for everyone).
        g.fragment_depth = g.get("fragment_depth", 0) + 1
        try:
            html = current_app.jinja_env.get_template(template).render(context)
        finally:
            g.fragment_depth -= 1
        cache.put(full_key, html, version)
    else:
        html, cached_version = entry
        if version is not None and cached_version != version:
            html = html.replace(f'data-version="{cached_version}"', f'data-version="{version}"', 1)
    if CSRF_SLOT in html and not g.get("fragment_depth"):
        from .templating import csrf_token

        html = html.replace(CSRF_SLOT, csrf_token())
    return Markup(html)


def init_fragments(app) -> None:
    app.extensions["fragments"] = FragmentCache(app.config.get("FRAGMENT_CACHE_SIZE", SIZE))
    app.jinja_env.globals["shared_fragment"] = shared_fragment
