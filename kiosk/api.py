"""The kiosk's JSON API: ``/api/search`` for the search box's live results."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from content.models import Validity
from content.search import MAX_LIMIT, SearchFilters, SearchHit, search
from content.search.index import KINDS
from kiosk.pages import hit_url

bp = Blueprint("kiosk_api", __name__, url_prefix="/api")

VALIDITIES = tuple(v.value for v in Validity)


class BadParameter(ValueError):
    """A query-string value the API cannot use; its message is shown to the user."""


def _int(name: str, *, low: int, high: int) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise BadParameter(_("参数 %(name)s 应为 %(low)d 到 %(high)d 之间的整数", name=name,
                             low=low, high=high))
    return int(raw)


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    raw = request.args.get(name, "").strip()
    if raw and raw not in allowed:
        raise BadParameter(_("参数 %(name)s 的取值无效", name=name))
    return raw or None


def _result(hit: SearchHit) -> dict[str, Any]:
    return {
        "id": hit.object_id, "kind": hit.kind, "title": hit.title,
        "title_html": str(hit.title_html), "doc_number": hit.doc_number, "issuer": hit.issuer,
        "snippet": str(hit.snippet_html), "url": hit_url(hit.kind, hit.object_id),
    }


@bp.get("/search")
def search_view() -> ResponseReturnValue:
    try:
        limit = _int("limit", low=1, high=MAX_LIMIT) or 10
        offset = _int("offset", low=0, high=100_000) or 0
        filters = SearchFilters(
            category_id=_int("category", low=1, high=2**31 - 1),
            issuer_id=_int("issuer", low=1, high=2**31 - 1),
            year=_int("year", low=1900, high=2999),
            validity=_choice("validity", VALIDITIES),
            kind=_choice("kind", KINDS),
        )
    except BadParameter as error:
        return jsonify({"error": str(error)}), 400
    page = search(request.args.get("q", ""), filters, limit=limit, offset=offset)
    return jsonify({"total": page.total, "results": [_result(h) for h in page.hits]})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
