"""The screen registry: screens say hello and send heartbeats; staff see who is online.

A screen is online when it was seen within ``ONLINE_SECONDS`` (three missed 30 s heartbeats).
``remote_reload`` gives a screen a new reload token; the page reloads itself when it sees it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update

from hall.db import utcnow
from hall.extensions import db
from hall.signals import screens_changed
from screens.models import Screen, new_token

ONLINE_SECONDS = 90
MAX_ON_AIR_CHARS = 50
MAX_AGENT_CHARS = 300


@dataclass(frozen=True)
class ScreenStatus:
    """One line of the registry, for staff pages and ``gongkai screens list``."""

    name: str
    title: str
    orientation: str
    group: str
    playlist: str
    online: bool
    last_seen: dt.datetime | None
    on_air: str
    seen_version: int
    client_addr: str


def is_online(last_seen: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """True if a screen last seen at ``last_seen`` counts as online at ``now``."""
    now = now or utcnow()
    return last_seen is not None and now - last_seen <= dt.timedelta(seconds=ONLINE_SECONDS)


def seen(name: str, *, on_air: str | None = None, version: int | None = None,
         addr: str | None = None, agent: str | None = None,
         now: dt.datetime | None = None) -> bool:
    """Note that screen ``name`` spoke (a hello or a heartbeat) and commit; False if unknown.

    ``None`` leaves a field as it was.
    """
    values: dict[str, object] = {"last_seen": now or utcnow()}
    if on_air is not None:
        values["on_air"] = on_air[:MAX_ON_AIR_CHARS]
    if version is not None:
        values["seen_version"] = version
    if addr is not None:
        values["client_addr"] = addr[:45]
    if agent is not None:
        values["client_agent"] = agent[:MAX_AGENT_CHARS]
    result = db.session.execute(
        update(Screen).where(Screen.name == name).values(**values),
        execution_options={"synchronize_session": False})
    db.session.commit()
    return bool(getattr(result, "rowcount", 0))


def overview(now: dt.datetime | None = None) -> list[ScreenStatus]:
    """Every screen with its online state, in name order."""
    now = now or utcnow()
    out = []
    for screen in db.session.scalars(select(Screen).order_by(Screen.name)):
        playlist = screen.playlist or (screen.group.playlist if screen.group else None)
        out.append(ScreenStatus(
            name=screen.name, title=screen.title, orientation=screen.orientation,
            group=screen.group.name if screen.group else "",
            playlist=playlist.name if playlist else "",
            online=is_online(screen.last_seen, now), last_seen=screen.last_seen,
            on_air=screen.on_air, seen_version=screen.seen_version,
            client_addr=screen.client_addr))
    return out


def remote_reload(name: str) -> str | None:
    """Give screen ``name`` a new reload token, commit and announce it (``screens.push`` sends
    the reload); the new token, or None for an unknown screen."""
    screen = db.session.scalar(select(Screen).where(Screen.name == name))
    if screen is None:
        return None
    screen.reload_token = new_token()
    db.session.commit()
    screens_changed.send(None, kind="reload", ids=[screen.id], names=[name])
    return screen.reload_token
