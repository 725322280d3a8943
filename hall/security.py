"""Response headers (a Content-Security-Policy that allows only the server's own origin) and
CSRF protection on every state-changing request (Flask-WTF: forms carry ``csrf_token``,
scripts send the ``X-CSRFToken`` header read from ``<meta name="csrf-token">``)."""

from __future__ import annotations

from flask import Flask, Response

from hall.extensions import csrf

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_headers)
    csrf.init_app(app)
