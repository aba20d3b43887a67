"""QR codes as inline SVG, drawn on the server (segno: a small, dependency-free QR encoder)."""

from __future__ import annotations

import io
from functools import lru_cache

import segno


@lru_cache(maxsize=256)
def qr_svg(url: str, title: str) -> str:
    """An SVG QR code for ``url`` (error correction M), scalable, titled for screen readers."""
    out = io.BytesIO()
    segno.make(url, error="m").save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        svgclass="qr",
        lineclass=None,
        omitsize=True,  # a viewBox only: CSS sizes it
        title=title,
        border=2,
    )
    return out.getvalue().decode()
