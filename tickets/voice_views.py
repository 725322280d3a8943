"""The voice clips of the lobby call, for the screens (public: lobby screens are not signed in).

``GET /voice/<clip>.wav`` is one clip (a staff recording if one was uploaded, else the shipped
file); ``GET /voice/call/<call_id>.wav`` is a whole call joined into one file, for screens that
only have ``<audio>``. Screens add ``?v=<board voice token>``: with the current token the
answer may be kept for a year (a new clip comes with a new token), otherwise it is revalidated
by its ETag every time.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Flask, abort, request
from werkzeug.wrappers import Response

from hall.extensions import db
from tickets.models import Call
from tickets.voice import clip_bytes, clips_for_call, join_wav, voice_version

bp = Blueprint("voice", __name__, url_prefix="/voice")

YEAR = 365 * 24 * 3600


def _wav(data: bytes, immutable: bool) -> Response:
    response = Response(data, mimetype="audio/wav")
    response.set_etag(hashlib.sha1(data, usedforsecurity=False).hexdigest()[:20])
    if immutable:
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
    return response.make_conditional(request)


def _current_token() -> bool:
    """Whether the request names the current voice token (``?v=``)."""
    token = request.args.get("v", "")
    return bool(token) and token == voice_version()


@bp.get("/<clip>.wav")
def clip(clip: str) -> Response:
    """One clip by name (``qing``, ``d3``, ``A``, …); 404 for a name that is not a clip."""
    data = clip_bytes(clip)
    if data is None:
        abort(404)
    return _wav(data, _current_token())


@bp.get("/call/<int:call_id>.wav")
def call(call_id: int) -> Response:
    """A call's clips joined into one WAV (said once: the screen repeats it)."""
    row = db.session.get(Call, call_id)
    if row is None:
        abort(404)
    return _wav(join_wav(clips_for_call(row.number, row.window_number)), _current_token())


def init_app(app: Flask) -> None:
    """Register the clips' routes."""
    app.register_blueprint(bp)
