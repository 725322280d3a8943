"""Kiosk reading pages: search, categories, articles, interpretations, guides, notices and the
disclosure catalog. Each view parses its input, calls ``content``, renders."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from content import queries, stats
from content.models import Validity
from content.search import SearchFilters
from content.search import search as find
from kiosk.qr import qr_svg
from kiosk.views import bp, found, int_arg, today

#: The page each kind of search hit opens, with the name of its id argument.
HIT_ENDPOINTS = {
    "policy": ("kiosk.policy", "policy_id"),
    "interpretation": ("kiosk.interpretation", "interpretation_id"),
    "guide": ("kiosk.guide", "guide_id"),
    "notice": ("kiosk.notice", "notice_id"),
}
MAX_PAGE = 1000
#: The search page's start (nothing typed yet) offers the pages most read over these days.
POPULAR_DAYS = 30
POPULAR_COUNT = 6
_ARTICLE_ID = re.compile(r'id="art-(\d+)"')


def hit_url(kind: str, object_id: int) -> str:
    endpoint, arg = HIT_ENDPOINTS.get(kind, HIT_ENDPOINTS["policy"])
    values: dict[str, Any] = {arg: object_id}
    return url_for(endpoint, **values)


def article_numbers(body_html: str) -> list[int]:
    """Article numbers that have an ``art-N`` anchor in the body (the 2019 Regulations)."""
    return sorted({int(n) for n in _ARTICLE_ID.findall(body_html)})


@bp.get("/search")
def search() -> str:
    max_chars = int(current_app.config.get("SEARCH_MAX_QUERY_CHARS", 100))
    q = request.args.get("q", "").strip()
    if len(q) > max_chars:
        raise BadRequest(_("搜索内容太长了，请不超过 %(n)d 个字。", n=max_chars))
    validity = request.args.get("validity", "").strip() or None
    if validity is not None and validity not in {v.value for v in Validity}:
        raise BadRequest(_("“效力”筛选的值无效。"))
    filters = SearchFilters(
        category_id=int_arg("category"),
        issuer_id=int_arg("issuer"),
        year=int_arg("year", low=1949, high=2100),
        validity=validity,
    )
    page = int_arg("page", high=MAX_PAGE) or 1
    size = int(current_app.config.get("SEARCH_PAGE_SIZE", 10))
    active = q or any(vars(filters).values())
    result = find(q, filters, limit=size, offset=(page - 1) * size) if active else None
    if result is not None and page == 1:
        stats.record_search(q, result.total)
    pages = math.ceil(result.total / size) if result else 0
    end = today()
    popular = stats.most_read(end - dt.timedelta(days=POPULAR_DAYS - 1), end, POPULAR_COUNT)
    return render_template(
        "kiosk/search.html", q=q, filters=filters, result=result, page=page, pages=pages,
        popular=popular, categories=queries.categories_tree(), agencies=queries.agencies(),
        years=queries.policy_years(), validities=[v.value for v in Validity], hit_url=hit_url,
    )


@bp.get("/categories")
def categories() -> str:
    return render_template("kiosk/categories.html", tree=queries.categories_tree())


@bp.get("/categories/<int:category_id>")
def category(category_id: int) -> str:
    cat = found(queries.category_or_none(category_id))
    page = int_arg("page", high=MAX_PAGE) or 1
    size = int(current_app.config.get("SEARCH_PAGE_SIZE", 10))
    result = find(
        "", SearchFilters(category_id=cat.id, kind="policy"),
        limit=size, offset=(page - 1) * size,
    )
    return render_template("kiosk/category.html", category=cat, result=result, page=page,
                           pages=math.ceil(result.total / size), hit_url=hit_url)


@bp.get("/policies/<int:policy_id>")
def policy(policy_id: int) -> str | Response:
    doc = found(queries.policy_or_none(policy_id))
    numbers = article_numbers(doc.body_html)
    art = int_arg("art", high=10_000)
    if art is not None:  # the jump pad without JavaScript
        if art not in numbers:
            raise BadRequest(_("本文没有第 %(n)d 条。", n=art))
        return redirect(url_for("kiosk.policy", policy_id=doc.id, _anchor=f"art-{art}"))
    stats.record_read("policy", doc.id, doc.title)
    path = url_for("kiosk.policy", policy_id=doc.id)
    public_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path
    qr = qr_svg(public_url, _("用手机扫码打开本文"))
    return render_template("kiosk/policy.html", doc=doc, qr=qr, public_url=public_url,
                           articles=numbers, replacement=queries.replacement_of(doc),
                           interpretations=queries.policy_interpretations(doc))


@bp.get("/interpretations")
def interpretations() -> str:
    return render_template("kiosk/interpretations.html", items=queries.interpretations())


@bp.get("/interpretations/<int:interpretation_id>")
def interpretation(interpretation_id: int) -> str:
    item = found(queries.interpretation_or_none(interpretation_id))
    stats.record_read("interpretation", item.id, item.title)
    return render_template("kiosk/interpretation.html", item=item,
                           policy=queries.published(item.policy))


@bp.get("/guides")
def guides() -> str:
    return render_template("kiosk/guides.html", items=queries.guides())


@bp.get("/guides/<int:guide_id>")
def guide(guide_id: int) -> str:
    item = found(queries.guide_or_none(guide_id))
    stats.record_read("guide", item.id, item.title)
    return render_template("kiosk/guide.html", item=item)


@bp.get("/notices")
def notices() -> str:
    return render_template("kiosk/notices.html", items=queries.recent_notices(today()))


@bp.get("/notices/<int:notice_id>")
def notice(notice_id: int) -> str:
    item = found(queries.notice_or_none(notice_id))
    stats.record_read("notice", item.id, item.title)
    return render_template("kiosk/notice.html", item=item)


@bp.get("/catalog")
def catalog() -> str:
    return render_template("kiosk/catalog.html", groups=queries.catalog_groups())
