"""Demo screens for ``gongkai demo``: ``lobby`` (landscape) and ``lobby-portrait``, their
playlists (notices, a policy card, interpretation images, an image slide) and ticker lines;
both show the queue's calling board in their side zone.

Runs after the content demo (it points at the published demo content) and only when no
screen exists yet, so running ``gongkai demo`` again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click
from flask import Flask
from sqlalchemy import select

from content.models import Interpretation, Notice, Policy, PubStatus
from hall.extensions import db
from hall.signals import screens_changed
from screens.models import (
    Orientation,
    Playlist,
    PlaylistItem,
    Screen,
    ScreenGroup,
    SlideKind,
    TickerItem,
)

#: Where ``content/demo.py`` looks for extra steps to run after its own.
DEMO_STEPS_KEY = "demo_steps"

TICKER = [
    "大厅办公时间：周一至周五 上午9:00—12:00，下午13:30—17:00（法定节假日除外）。",
    "申请政府信息公开，可在自助查询机上填写申请，也可到政务公开专区窗口提交。",
    "请按叫号顺序到窗口办理，过号请重新取号。",
    "扫描屏幕上的二维码，可在手机上继续阅读政策全文。",
]
APPLY_FLOW_IMAGE = "ogi-apply-flow.svg"


def _published(model: Any, limit: int, *order: Any) -> list[Any]:
    return list(db.session.scalars(
        select(model).where(model.status == PubStatus.PUBLISHED).order_by(*order).limit(limit)))


def _items(playlist: Playlist, specs: list[dict[str, object]]) -> None:
    for position, spec in enumerate(specs):
        playlist.items.append(PlaylistItem(position=position, **spec))


def seed_screens() -> int:
    """Create the demo screens, group, playlists and ticker lines; how many screens (0 if
    screens already exist)."""
    if db.session.scalar(select(Screen.id).limit(1)) is not None:
        return 0
    notices = _published(Notice, 3, Notice.published_on.desc(), Notice.id.desc())
    policies = _published(Policy, 2, Policy.id)
    graphics = [i for i in _published(Interpretation, 20, Interpretation.published_on.desc())
                if i.image]

    main = Playlist(name="lobby-main", title="大厅主屏节目单")
    specs: list[dict[str, object]] = [
        {"kind": SlideKind.NOTICE.value, "notice_id": n.id, "duration": 15} for n in notices]
    specs += [{"kind": SlideKind.POLICY.value, "policy_id": p.id, "duration": 20}
              for p in policies]
    specs += [{"kind": SlideKind.INTERPRETATION.value, "interpretation_id": i.id,
               "duration": 15} for i in graphics[:2]]
    specs.append({"kind": SlideKind.IMAGE.value, "media": APPLY_FLOW_IMAGE, "duration": 12,
                  "title": "依申请公开办理流程", "text": "提交申请 → 登记 → 审查 → 答复"})
    _items(main, specs)

    portrait = Playlist(name="lobby-portrait", title="竖屏节目单")
    portrait_specs: list[dict[str, object]] = [
        {"kind": SlideKind.INTERPRETATION.value, "interpretation_id": i.id, "duration": 15}
        for i in graphics[:3]]
    portrait_specs += [{"kind": SlideKind.NOTICE.value, "notice_id": n.id, "duration": 15}
                       for n in notices[:2]]
    # Shown on working-day evenings only: an example of a daily window.
    portrait_specs.append({"kind": SlideKind.IMAGE.value, "media": APPLY_FLOW_IMAGE,
                           "duration": 12, "title": "下班后也可以在自助查询机上提交申请",
                           "weekdays": 0b0011111, "window_start": dt.time(17, 0),
                           "window_end": dt.time(23, 0)})
    _items(portrait, portrait_specs)

    group = ScreenGroup(name="lobby", title="一楼大厅", playlist=main)
    screens = [
        Screen(name="lobby", title="大厅主屏", orientation=Orientation.LANDSCAPE.value,
               group=group, zone_side=True),
        Screen(name="lobby-portrait", title="大厅竖屏", orientation=Orientation.PORTRAIT.value,
               group=group, playlist=portrait, zone_side=True),
    ]
    db.session.add_all([main, portrait, group, *screens])
    db.session.add_all(TickerItem(text=text, position=i) for i, text in enumerate(TICKER))
    db.session.commit()
    screens_changed.send(None, kind="screen", ids=[s.id for s in screens], names=None)
    return len(screens)


def demo_step() -> None:
    """The ``gongkai demo`` step: seed the demo screens and say so."""
    made = seed_screens()
    if made:
        click.echo(f"大厅屏幕 lobby screens: {made} (/screens/lobby, /screens/lobby-portrait)")


def init_app(app: Flask) -> None:
    """Add the screens step to the steps ``gongkai demo`` runs after the content demo."""
    steps = app.extensions.setdefault(DEMO_STEPS_KEY, [])
    if demo_step not in steps:
        steps.append(demo_step)
