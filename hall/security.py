"""Response headers (a Content-Security-Policy that allows only the server's own origin and no
framing by others, ``nosniff``, a same-origin Referrer-Policy, ``no-store`` on kiosk and staff
pages unless a view chose its own caching) and CSRF protection on every state-changing request
(Flask-WTF: forms carry ``csrf_token``, scripts send the ``X-CSRFToken`` header read from
``<meta name="csrf-token">``)."""

from __future__ import annotations

from flask import Flask, Response, request

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


#: Pages under these paths may show a person's data (a citizen's own form, receipt or answer
#: on a shared kiosk; cases and contacts on a staff PC): no copy in the browser's cache.
NO_STORE_PREFIXES = ("/kiosk", "/staff")


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    if (request.path.startswith(NO_STORE_PREFIXES) and "Cache-Control" not in response.headers
            and not (request.endpoint or "").endswith("static")):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_headers)
    csrf.init_app(app)
