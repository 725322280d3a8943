"""The kiosk's shared on-screen keyboard: ``/kiosk/ime`` answers the pinyin letters typed on it
with candidates from :mod:`kiosk.ime`, a page at a time.

Pages that show the keyboard call :func:`warm` as they render, so the index (built once per
process in a background thread) is usually ready before the first key press; a request that
comes earlier waits up to ``IME_WAIT_SECONDS`` and is then told to ask again (``pending``).
"""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from kiosk import ime
from kiosk.views import bp

MAX_LIMIT = 100
IME_WAIT_SECONDS = 3.0

warm = ime.warm


def _int(name: str, default: int, high: int) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) > high:
        return None
    return int(raw)


@bp.get("/ime", endpoint="ime")
def ime_candidates() -> ResponseReturnValue:
    """Candidates for ``?p=zhengce`` (``&offset=&limit=`` for the next page)."""
    letters = request.args.get("p", "").strip().lower()
    if len(letters) > ime.MAX_LETTERS or (letters and not ime.LETTERS.match(letters)):
        return jsonify(error=_("拼音只能是字母。")), 400
    offset, limit = _int("offset", 0, 10_000), _int("limit", 40, MAX_LIMIT)
    if offset is None or limit is None:
        return jsonify(error=_("参数无效。")), 400
    wait = float(current_app.config.get("IME_WAIT_SECONDS", IME_WAIT_SECONDS))
    index = ime.ready_index(wait)
    if index is None:
        response = jsonify(candidates=[], more=False, segments=[], pending=True)
        response.headers["Cache-Control"] = "no-store"
        return response
    page = ime.lookup(index, letters, offset=offset, limit=limit)
    response = jsonify(candidates=[{"text": c.text, "consume": c.consume}
                                   for c in page.candidates],
                       more=page.more, segments=page.segments, offset=offset)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
