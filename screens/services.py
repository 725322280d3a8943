"""Writes behind the screens' staff pages: save, delete, reorder, send and clear.

Each write adds an audit entry of the old and new values to the session, commits both
together, then sends ``hall.signals.screens_changed`` so ``screens.push`` pushes the new state
to the screens it touches. Nothing here reads the request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from hall import audit
from hall.db import utcnow
from hall.extensions import db
from hall.signals import screens_changed
from screens.models import (
    EmergencyMessage,
    EmergencyTarget,
    Playlist,
    PlaylistItem,
    Screen,
    ScreenGroup,
    TickerItem,
)

#: The ``kind`` each table announces with ``screens_changed``.
KINDS: dict[type[Any], str] = {
    Screen: "screen", ScreenGroup: "group", Playlist: "playlist", PlaylistItem: "item",
    TickerItem: "ticker", EmergencyMessage: "emergency",
}

audit.register_action("move", _l("调整顺序"))
audit.register_action("send", _l("发送"))
audit.register_action("clear", _l("清除"))
audit.register_action("reload", _l("远程刷新"))


def snapshot(row: Any) -> dict[str, Any]:
    return audit.snapshot(row)


def _record(action: str, row: Any, before: dict[str, Any] | None) -> None:
    audit.record_change(action, row, before, label=label_of(row))


def label_of(row: Any) -> str:
    """A short name of a row for the audit log and messages."""
    text = str(getattr(row, "title", "") or getattr(row, "name", "")
               or getattr(row, "text", "") or f"#{getattr(row, 'id', '')}")
    return text if len(text) <= 80 else text[:80] + "…"


def screens_of_playlist(playlist_id: int) -> list[str]:
    """Names of the screens that play this playlist (their own, or their group's)."""
    groups = select(ScreenGroup.id).where(ScreenGroup.playlist_id == playlist_id)
    return list(db.session.scalars(
        select(Screen.name).where(or_(Screen.playlist_id == playlist_id,
                                      Screen.group_id.in_(groups)))))


def screens_of_group(group_id: int) -> list[str]:
    return list(db.session.scalars(select(Screen.name).where(Screen.group_id == group_id)))


def affected(row: Any) -> list[str] | None:
    """The screens whose state may change with ``row`` (None: every screen)."""
    if isinstance(row, Screen):
        return [row.name]
    if isinstance(row, ScreenGroup):
        return screens_of_group(row.id)
    if isinstance(row, Playlist):
        return screens_of_playlist(row.id)
    if isinstance(row, PlaylistItem):
        return screens_of_playlist(row.playlist_id)
    if isinstance(row, EmergencyMessage):
        return emergency_screens(row)
    return None  # ticker lines are on every screen with a ticker


def emergency_screens(message: EmergencyMessage) -> list[str] | None:
    if message.target == EmergencyTarget.SCREEN:
        return [message.target_name]
    if message.target == EmergencyTarget.GROUP:
        return list(db.session.scalars(
            select(Screen.name).join(ScreenGroup, Screen.group_id == ScreenGroup.id)
            .where(ScreenGroup.name == message.target_name)))
    return None


def announce(kind: str, ids: Iterable[int], names: Iterable[str] | None) -> None:
    """Tell ``screens.push`` what changed (after the commit)."""
    kwargs: dict[str, Any] = {"kind": kind, "ids": list(ids)}
    if names is not None:
        kwargs["names"] = sorted(set(names))
    screens_changed.send(None, **kwargs)


def _union(*groups: list[str] | None) -> list[str] | None:
    if any(g is None for g in groups):
        return None
    return sorted({name for g in groups for name in g or []})


def save(row: Any, before: dict[str, Any] | None, values: dict[str, Any]) -> bool:
    """Set ``values`` on ``row`` (new when ``before`` is None), audit, commit and announce.

    :returns: False (nothing written) when an existing row did not change.
    """
    old_names = affected(row) if before is not None else []
    for key, value in values.items():
        setattr(row, key, value)
    if before is not None and snapshot(row) == before:
        db.session.rollback()
        return False
    db.session.add(row)
    _record("create" if before is None else "update", row, before)
    new_names = affected(row)
    db.session.commit()
    announce(KINDS[type(row)], [row.id], _union(old_names, new_names))
    return True


def delete(row: Any) -> None:
    """Delete ``row`` (audited) and announce it; links to it are cleared first."""
    names = affected(row)
    kind, ident = KINDS[type(row)], row.id
    if isinstance(row, Playlist):
        holders: tuple[type[Any], ...] = (Screen, ScreenGroup)
        for holder in holders:
            for linked in db.session.scalars(select(holder).where(holder.playlist_id == row.id)):
                linked.playlist_id = None
    if isinstance(row, ScreenGroup):
        for screen in db.session.scalars(select(Screen).where(Screen.group_id == row.id)):
            screen.group_id = None
    _record("delete", row, snapshot(row))
    db.session.delete(row)
    db.session.commit()
    announce(kind, [ident], names)


def next_position(rows: Iterable[Any]) -> int:
    return max((r.position for r in rows), default=-1) + 1


def move(rows: list[Any], row: Any, step: int) -> bool:
    """Move ``row`` one place up (-1) or down (+1) among ``rows`` (in play order), renumber,
    audit, commit and announce; False if it is already at that end."""
    index = rows.index(row)
    other = index + step
    if not 0 <= other < len(rows):
        return False
    rows[index], rows[other] = rows[other], rows[index]
    before = snapshot(row)
    for position, item in enumerate(rows):
        item.position = position
    _record("move", row, before)
    names = affected(row)
    db.session.commit()
    announce(KINDS[type(row)], [r.id for r in rows], names)
    return True


def send_emergency(values: dict[str, Any], author: str) -> EmergencyMessage:
    """Store a new emergency message (audited), commit and push it to its screens."""
    message = EmergencyMessage(created_by=author[:100], **values)
    db.session.add(message)
    _record("send", message, None)
    db.session.commit()
    announce("emergency", [message.id], emergency_screens(message))
    return message


def clear_emergency(message: EmergencyMessage, now: dt.datetime | None = None) -> bool:
    """Take a message off the screens (audited); False if it was already cleared."""
    if message.cleared_at is not None:
        return False
    before = snapshot(message)
    message.cleared_at = now or utcnow()
    _record("clear", message, before)
    db.session.commit()
    announce("emergency", [message.id], emergency_screens(message))
    return True


def record_reload(screen: Screen) -> None:
    """Add the audit entry of a remote reload (``registry.remote_reload`` commits it)."""
    audit.record("reload", obj_type=screen.__tablename__, obj_id=screen.id,
                 label=label_of(screen))
