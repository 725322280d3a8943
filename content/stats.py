"""Usage figures of the content side for the staff dashboard: searches, empty searches, reads.

The kiosk calls :func:`record_search` and :func:`record_read`; counts go to ``hall.usage``
(daily counters, nothing about a person). :func:`panel` draws them on the staff home.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Flask
from flask_babel import lazy_gettext as _l

from content import queries
from hall import usage
from hall.dashboard import Figure, Panel, Period, register_panel
from hall.models import Role

SEARCHES = "search"
EMPTY_SEARCHES = "search_empty"  # keyed by the query: what citizens looked for and did not find
READS = "read"  # keyed by "kind:id title"
READ_KEY_MAX = 120


def normalise_query(query: str) -> str:
    """One key per query however it was typed: trimmed, inner spaces collapsed, lower case."""
    return " ".join(query.split()).lower()


def record_search(query: str, hits: int) -> None:
    """Count one search from the kiosk's search page (not each keystroke of live search)."""
    usage.count(SEARCHES)
    if hits == 0 and query.strip():
        usage.count(EMPTY_SEARCHES, normalise_query(query))


def record_read(kind: str, object_id: int, title: str) -> None:
    """Count one opening of an article page."""
    usage.count(READS, f"{kind}:{object_id} {title}"[:READ_KEY_MAX])


@dataclass(frozen=True)
class Popular:
    """A published page citizens opened often: its kind (``policy``…), id and current title."""

    kind: str
    id: int
    title: str


#: How each kind of read is looked up again (published only: a withdrawn page is not offered).
_FINDERS = {
    "policy": queries.policy_or_none,
    "interpretation": queries.interpretation_or_none,
    "guide": queries.guide_or_none,
    "notice": queries.notice_or_none,
}


def most_read(start: dt.date, end: dt.date, limit: int = 6) -> list[Popular]:
    """The pages opened most over the days, still published, most first.

    Reads are keyed by ``kind:id title``, so a page whose title changed has two keys: they are
    added up by ``kind:id``, and the title shown is today's.
    """
    totals: dict[tuple[str, int], int] = {}
    for key, count in usage.top_keys(READS, start, end, limit=limit * 4):
        kind, _sep, rest = key.partition(":")
        number = rest.split(" ", 1)[0]
        if kind in _FINDERS and number.isdigit():
            totals[kind, int(number)] = totals.get((kind, int(number)), 0) + count
    out: list[Popular] = []
    for (kind, object_id), _count in sorted(totals.items(), key=lambda kv: -kv[1]):
        found = _FINDERS[kind](object_id)
        if found is not None:
            out.append(Popular(kind, object_id, found.title))
        if len(out) == limit:
            break
    return out


def _figure(label: object, metric: str, period: Period) -> Figure:
    return Figure(label, usage.total(metric, period.today, period.today),
                  usage.total(metric, period.month_start, period.today))


def _read_label(key: str) -> str:
    """``policy:12 Title`` -> ``Title``."""
    return key.split(" ", 1)[1] if " " in key else key


def panel(period: Period) -> Panel:
    reads = usage.top_keys(READS, period.month_start, period.today, limit=10)
    return Panel(
        title=_l("政策查询"),
        figures=[
            _figure(_l("搜索次数"), SEARCHES, period),
            _figure(_l("无结果的搜索"), EMPTY_SEARCHES, period),
            _figure(_l("文章阅读次数"), READS, period),
        ],
        series_label=_l("每日搜索次数"),
        series=usage.daily(SEARCHES, period.chart_start, period.today),
        lists=[
            (_l("本月无结果的搜索词"),
             list(usage.top_keys(EMPTY_SEARCHES, period.month_start, period.today, limit=10))),
            (_l("本月阅读最多的文章"), [(_read_label(k), n) for k, n in reads]),
        ],
    )


def init_app(app: Flask) -> None:
    register_panel(app, panel, Role.EDITOR, Role.OFFICER, order=10)
