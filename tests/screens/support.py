"""Helpers for the screens backend tests: published content, a screen with a playlist."""

from __future__ import annotations

import datetime as dt
from typing import Any

from content.models import Agency, Interpretation, InterpretationKind, Notice, Policy, PubStatus
from hall.extensions import db
from screens.models import Playlist, PlaylistItem, Screen, ScreenGroup, TickerItem


def agency() -> Agency:
    found = db.session.query(Agency).filter_by(name="章贡区政务服务中心").one_or_none()
    if found is None:
        found = Agency(name="章贡区政务服务中心", kind="department")
        db.session.add(found)
    return found


def notice(title: str = "大厅通知", status: PubStatus = PubStatus.PUBLISHED,
           **fields: Any) -> Notice:
    row = Notice(title=title, body_html=fields.pop("body_html", "<p>通知正文</p>"),
                 published_on=dt.date(2026, 6, 1), status=status, agency=agency(), **fields)
    db.session.add(row)
    db.session.flush()
    return row


def policy(title: str = "政府信息公开条例", status: PubStatus = PubStatus.PUBLISHED,
           **fields: Any) -> Policy:
    row = Policy(title=title, doc_number="国务院令第711号", issuer=agency(),
                 issued_on=dt.date(2019, 4, 3), summary="条例摘要", status=status, **fields)
    db.session.add(row)
    db.session.flush()
    return row


def interpretation(title: str = "一图看懂", image: str = "ogi-2019-tujie.svg",
                   status: PubStatus = PubStatus.PUBLISHED) -> Interpretation:
    row = Interpretation(title=title, kind=InterpretationKind.GRAPHIC, image=image,
                         image_alt="图解说明", published_on=dt.date(2026, 5, 1), status=status)
    db.session.add(row)
    db.session.flush()
    return row


def screen_with(items: list[dict[str, Any]], name: str = "lobby", group: str | None = None,
                **fields: Any) -> Screen:
    """A committed screen whose own playlist holds ``items`` (PlaylistItem fields) in order."""
    playlist = Playlist(name=f"{name}-list", title="节目单")
    for position, spec in enumerate(items):
        playlist.items.append(PlaylistItem(position=position, **spec))
    screen = Screen(name=name, title="大厅主屏", playlist=playlist, **fields)
    if group is not None:
        screen.group = ScreenGroup(name=group, title=group)
    db.session.add(screen)
    db.session.commit()
    return screen


def ticker(text: str, **fields: Any) -> TickerItem:
    row = TickerItem(text=text, **fields)
    db.session.add(row)
    db.session.commit()
    return row
