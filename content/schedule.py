"""Publication over time: ``scheduled`` items go live at ``publish_at``; ``published`` items
are withdrawn at ``expire_at``.

``apply_due`` makes the changes and announces them (so search follows). It runs from
``gongkai content publish-due`` and from a per-process check before requests, which costs
one time comparison until the cached next due time has passed.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from content.models import PubStatus
from content.services import KINDS, announce_ids
from hall import audit
from hall.db import utcnow
from hall.extensions import db
from hall.signals import content_changed

log = logging.getLogger(__name__)

#: Times written without an offset (imports, staff forms) are the hall's local time.
HALL_ZONE = ZoneInfo("Asia/Shanghai")
#: ``app.extensions`` key of the per-process cache of the next due time.
EXTENSION_KEY = "content.schedule"
#: Config key: the cached next due time is read again at least this often (seconds).
CHECK_SECONDS_KEY = "CONTENT_SCHEDULE_CHECK_SECONDS"

def parse_time(text: str) -> dt.datetime | None:
    """An ISO 8601 date-time (``2026-12-01T09:00+08:00``) as aware UTC, or None if it is not one.

    Without an offset the time is the hall's (Asia/Shanghai); a bare date means its midnight.
    """
    try:
        value = dt.datetime.fromisoformat(text.strip())
        if value.tzinfo is None:
            value = value.replace(tzinfo=HALL_ZONE)
        return value.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None


def check_publication(
    status: PubStatus | str,
    publish_at: dt.datetime | None,
    expire_at: dt.datetime | None,
    now: dt.datetime | None,
) -> list[str]:
    """What is wrong with a publication state, as Chinese sentences for a form ([] if nothing).

    :param now: the current time; None skips the rules that depend on the clock (an import of
        an older export may hold a schedule that has passed since; ``apply_due`` settles it).
    :raises ValueError: for a naive datetime (forms convert local input with ``parse_time``).
    """
    for value in (publish_at, expire_at, now):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: pass timezone-aware times")
    try:
        status = PubStatus(status)
    except ValueError:
        return [_("发布状态无效（可选：草稿、定时发布、已发布、已撤回）。")]
    errors: list[str] = []
    if status is PubStatus.SCHEDULED:
        if publish_at is None:
            errors.append(_("定时发布须填写发布时间。"))
        elif now is not None and publish_at <= now:
            errors.append(_("定时发布的发布时间应晚于现在。"))
    if status is PubStatus.PUBLISHED and now is not None:
        if publish_at is not None and publish_at > now:
            errors.append(_("发布时间还没到：要到时自动发布，请选择“定时发布”。"))
        if expire_at is not None and expire_at <= now:
            errors.append(_("下线时间已过：请选择“已撤回”，或把下线时间改到以后。"))
    if publish_at is not None and expire_at is not None and expire_at <= publish_at:
        errors.append(_("下线时间应晚于发布时间。"))
    return errors


@dataclass(frozen=True)
class DueChange:
    """One item whose status ``apply_due`` changed (to ``status``)."""

    kind: str
    object_id: int
    title: str
    status: PubStatus


def publish_due(now: dt.datetime | None = None) -> list[DueChange]:
    """Publish scheduled items whose time has come and withdraw published ones past expiry.

    Each change is one guarded ``UPDATE`` (old status in its ``WHERE``), so two processes
    running this at once never both report the same change. Commits, then announces.
    An item both due and expired ends withdrawn and is listed once.
    """
    now = now or utcnow()
    changes: dict[tuple[str, int], DueChange] = {}
    steps = ((PubStatus.SCHEDULED, PubStatus.PUBLISHED, "publish_at"),
             (PubStatus.PUBLISHED, PubStatus.WITHDRAWN, "expire_at"))
    for kind, model in KINDS.items():
        for old, new, column in steps:
            rows = db.session.execute(
                update(model)
                .where(model.status == old, getattr(model, column) <= now)
                .values(status=new)
                .returning(model.id, model.title),
                execution_options={"synchronize_session": False},
            ).all()
            for row in rows:
                changes[(kind, row.id)] = DueChange(kind, row.id, row.title, new)
                audit.record("publish" if new == PubStatus.PUBLISHED else "withdraw",
                             obj_type=model.__tablename__, obj_id=row.id, label=row.title,
                             old={"status": old.value}, new={"status": new.value},
                             actor_name="系统")
    db.session.commit()
    for kind in KINDS:
        announce_ids(kind, [c.object_id for c in changes.values() if c.kind == kind])
    if changes:
        log.info("publication schedule applied: %d item(s) changed", len(changes))
    return list(changes.values())


def apply_due(now: dt.datetime | None = None) -> int:
    """Apply every publication change due by ``now`` (default: the current time); how many."""
    return len(publish_due(now))


def next_due() -> dt.datetime | None:
    """The earliest pending change: a scheduled item's ``publish_at`` or a published item's
    ``expire_at``. It is in the past when something is overdue; None when nothing is pending."""
    found: list[dt.datetime] = []
    for model in KINDS.values():
        due = case((model.status == PubStatus.SCHEDULED, model.publish_at),
                   else_=model.expire_at)
        value = db.session.scalar(select(func.min(due)).where(
            model.status.in_((PubStatus.SCHEDULED, PubStatus.PUBLISHED))))
        if value is not None:
            found.append(value)
    return min(found, default=None)


@dataclass
class _DueCache:
    """Per-process memory of the next due time, so a request only compares clocks."""

    at: dt.datetime | None = None
    #: ``time.monotonic()`` after which ``at`` is read from the database again (0: now).
    refresh_after: float = 0.0
    #: Bumped by every ``content_changed``; a refresh that saw it move stays stale.
    generation: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _cache() -> _DueCache:
    cache: _DueCache = current_app.extensions[EXTENSION_KEY]
    return cache


def _check_due() -> None:
    """Before each request: nothing but a clock comparison unless a change is due or the
    cached due time is older than the check interval (or content changed since)."""
    cache = _cache()
    if time.monotonic() < cache.refresh_after and (cache.at is None or utcnow() < cache.at):
        return
    if not cache.lock.acquire(blocking=False):
        return  # another thread of this process is already on it
    try:
        _refresh(cache)
    finally:
        cache.lock.release()


def _refresh(cache: _DueCache) -> None:
    interval = float(current_app.config[CHECK_SECONDS_KEY])
    generation = cache.generation
    try:
        if time.monotonic() >= cache.refresh_after:
            cache.at = next_due()
        if cache.at is not None and cache.at <= utcnow():
            apply_due()
            generation = cache.generation  # its own announcement needs no second look
            cache.at = next_due()
    except SQLAlchemyError:
        # A database fault must not break citizen pages; try again after the interval.
        db.session.rollback()
        log.exception("publication schedule check failed; retrying in %.0f s", interval)
        cache.at = None
    stale = cache.generation != generation
    cache.refresh_after = 0.0 if stale else time.monotonic() + interval


def _on_content_changed(sender: Any, **kwargs: Any) -> None:
    """A change may add or move a due time: look again on the next request."""
    if has_app_context():
        cache = current_app.extensions.get(EXTENSION_KEY)
        if cache is not None:
            cache.generation += 1
            cache.refresh_after = 0.0


def init_app(app: Flask) -> None:
    """Cache the next due time per process and check it before every request."""
    app.config.setdefault(CHECK_SECONDS_KEY, 60)
    app.extensions[EXTENSION_KEY] = _DueCache()
    app.before_request(_check_due)
    content_changed.connect(_on_content_changed, weak=False)
