"""Security headers on every response, and guards against input no database can hold."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.routing import IntegerConverter

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; SQLite overflows at 2**63


class IdConverter(IntegerConverter):
    """``<int:...>`` that does not match ids no table can hold: 404 instead of an overflow."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in vals) for key, vals in values.lists())


def init_security_headers(app: Flask) -> None:
    """Headers on every response; also the id converter and the NUL guard (both must be in
    place before the blueprints register their routes, which ``create_app`` does next)."""
    # Routes bind their converters when they are added: this has to come before blueprints.
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def _refuse_nul_bytes():
        # PostgreSQL cannot store or even compare a NUL character: refuse it up front
        # instead of failing deep inside a query.
        if "\x00" in request.path or _has_nul(request.args) or _has_nul(request.form):
            from .errors import error_response

            return error_response(
                400,
                "What you sent contains an invisible NUL character, which we cannot store. "
                "Remove it (it often comes from pasting) and try again.",
            )
        return None

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("MLC_ENV") == "production":
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response
