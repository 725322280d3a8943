"""The screen registry: screens say hello and send heartbeats; staff see who is online.

A screen is online when it was seen within ``ONLINE_SECONDS`` (three missed 30 s heartbeats).
``remote_reload`` gives a screen a new reload token; the page reloads itself when it sees it.

Heartbeats are noted in memory and written together every ``SCREEN_HEARTBEAT_WRITE_SECONDS``
(one transaction per process): 300 screens made ten write transactions a second, each one
more chance for a call or a ticket to wait on SQLite's write lock, and the registry only
needs to know who was seen within 90 s. ``overview`` writes this process's pending ones first.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, update

from hall.db import utcnow
from hall.extensions import db
from hall.signals import screens_changed
from screens.models import Screen, new_token

log = logging.getLogger(__name__)

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


class _Heartbeats:
    """Heartbeats noted since the last write, per screen name; a timer writes them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: dict[str, dict[str, object]] = {}
        self.timer: threading.Timer | None = None

    def note(self, app: Flask, name: str, values: dict[str, object], delay: float) -> None:
        with self.lock:
            self.pending.setdefault(name, {}).update(values)
            if self.timer is None:
                self.timer = threading.Timer(delay, self._write_later, args=(app,))
                self.timer.daemon = True
                self.timer.start()

    def take(self) -> dict[str, dict[str, object]]:
        with self.lock:
            pending, self.pending = self.pending, {}
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            return pending

    def _write_later(self, app: Flask) -> None:
        try:
            with app.app_context():
                write_heartbeats()
                db.session.remove()
        except Exception:  # the next heartbeat comes within 30 s; never kill the timer loudly
            log.exception("writing screen heartbeats failed")


_heartbeats = _Heartbeats()


def heartbeat(name: str, *, on_air: str, version: int | None) -> None:
    """Note a heartbeat of screen ``name`` (written within ``SCREEN_HEARTBEAT_WRITE_SECONDS``)."""
    app: Any = current_app
    delay = float(app.config.get("SCREEN_HEARTBEAT_WRITE_SECONDS") or 0)
    if delay <= 0:
        seen(name, on_air=on_air, version=version)
        return
    values: dict[str, object] = {"last_seen": utcnow(), "on_air": on_air[:MAX_ON_AIR_CHARS]}
    if version is not None:
        values["seen_version"] = version
    _heartbeats.note(app._get_current_object(), name, values, delay)


def write_heartbeats() -> int:
    """Write this process's pending heartbeats in one transaction; how many screens."""
    pending = _heartbeats.take()
    for name, values in pending.items():
        db.session.execute(update(Screen).where(Screen.name == name).values(**values),
                           execution_options={"synchronize_session": False})
    if pending:
        db.session.commit()
    return len(pending)


def overview(now: dt.datetime | None = None) -> list[ScreenStatus]:
    """Every screen with its online state, in name order."""
    write_heartbeats()
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
