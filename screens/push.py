"""The one module that emits to screens: signals in, Socket.IO ``state`` / ``reload`` out.

It listens to ``content_changed`` / ``content_deleted`` (content shown on a playlist) and
``screens_changed`` (the screens' own tables), bumps the version, builds the full state of
each affected screen and emits it to the screen's room. With ``SOCKETIO_MESSAGE_QUEUE`` set,
the emit goes through Redis, so every server process delivers it to its own clients.

Queue changes (``queue_changed``) go to room ``queue`` (screens with a side zone, phone pages,
counter-facing pages): a ``call`` event for a call or recall, a ``board`` event otherwise, each
with the whole board, built once per change however many clients listen.

A per-process timer also pushes at the next schedule transition (a window opening, an
emergency message ending), so screens change on time even when nobody edits anything.

Websockets carry the events uncompressed: ``init_app`` drops a browser's
``permessage-deflate`` offer before simple-websocket sees it. With the offer accepted, each
connection keeps its own zlib compressor (about 200 KB, and state is not shared between
connections) and deflates every state again (about 0.4 ms for a 20 KB state), so a push to
1,000 screens and phones costs 200 MB more memory and 0.4 s more CPU than the bytes it saves
on the hall's LAN are worth.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, request
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError

from hall.db import utcnow
from hall.extensions import db, socketio
from hall.signals import content_changed, content_deleted, queue_changed, screens_changed
from screens.models import PlaylistItem, Screen, ScreenGroup
from screens.state import build_states, bump_version
from tickets.board import announce, announcement, build_board
from tickets.models import Call

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

NAMESPACE = "/screens"
ALL_ROOM = "all"
#: Everyone following the queue board: screens with a side zone, phone and counter pages.
QUEUE_ROOM = "queue"
#: Content kinds a playlist item can show, and the item column that points at each.
_CONTENT_COLUMNS = {
    "notice": PlaylistItem.notice_id,
    "policy": PlaylistItem.policy_id,
    "interpretation": PlaylistItem.interpretation_id,
}
#: The transition timer is armed only this far ahead; a later push re-arms it.
MAX_TIMER_SECONDS = 24 * 3600
#: One queue push at a time in this process, each board built and sent in one go: screens
#: show a ``board`` event whatever its version, so the last one sent must be the last built.
_queue_push = threading.Lock()


def screen_room(name: str) -> str:
    return f"screen:{name}"


def group_room(name: str) -> str:
    return f"group:{name}"


def envelope(kind: str, version: int, **fields: Any) -> dict[str, Any]:
    """An event payload: every event carries ``type``, ``version`` and ``sent_at``."""
    return {"type": kind, "version": version,
            "sent_at": utcnow().isoformat(timespec="seconds"), **fields}


def push(names: Iterable[str] | None = None) -> int:
    """Bump the version and emit the full state to each named screen (None: every screen).

    :returns: the new version.
    """
    version = bump_version()
    states = build_states(names, version=version)
    for name, state in states.items():
        socketio.emit("state", state, to=screen_room(name), namespace=NAMESPACE)
    _timer.arm(current_app._get_current_object(),  # type: ignore[attr-defined]
               [s["valid_until"] for s in states.values()])
    return version


def reply(event: str, payload: dict[str, Any]) -> None:
    """Answer the client whose event is being handled (inside a Socket.IO handler)."""
    socketio.emit(event, payload, to=request.sid,  # type: ignore[attr-defined]
                  namespace=NAMESPACE)


def board_event() -> dict[str, Any]:
    """The ``board`` event of the board now (also the answer to ``follow``)."""
    board = build_board()
    return envelope("board", board["version"], board=board)


def push_queue(kind: str, call_id: int | None = None, written: Call | None = None) -> None:
    """Emit the queue's change to room ``queue``: ``call`` (the announcement and the board)
    for a call or recall, else ``board``. One build, one emit, whoever listens.

    :param written: the call as the queue wrote it (detached), so it is not read back.
    """
    with _queue_push:
        if kind in ("call", "recall") and call_id is not None:
            call = announce(written) if written is not None else announcement(call_id)
            if call is not None:
                board = build_board()
                socketio.emit("call", envelope("call", call_id, call=call, board=board),
                              to=QUEUE_ROOM, namespace=NAMESPACE)
                return
        socketio.emit("board", board_event(), to=QUEUE_ROOM, namespace=NAMESPACE)


def push_reload(names: Iterable[str]) -> int:
    """Push the state and a ``reload`` event (with the new token) to each named screen."""
    names = list(names)
    version = push(names)
    rows = db.session.execute(
        select(Screen.name, Screen.reload_token).where(Screen.name.in_(names))).all()
    for name, token in rows:
        socketio.emit("reload", envelope("reload", version, reload=token),
                      to=screen_room(name), namespace=NAMESPACE)
    return version


def screens_showing(kind: str, ids: Iterable[int]) -> list[str]:
    """Names of the screens whose own or group playlist has an item showing that content."""
    column = _CONTENT_COLUMNS.get(kind)
    ids = list(ids)
    if column is None or not ids:
        return []
    playlists = select(PlaylistItem.playlist_id).where(column.in_(ids))
    groups = select(ScreenGroup.id).where(ScreenGroup.playlist_id.in_(playlists))
    return list(db.session.scalars(
        select(Screen.name).where(or_(Screen.playlist_id.in_(playlists),
                                      Screen.group_id.in_(groups)))))


def _guarded(handler: Callable[..., None]) -> Callable[..., None]:
    """A failed push is logged, never raised into the change that was already committed."""

    @functools.wraps(handler)
    def wrapper(sender: Any, **kwargs: Any) -> None:
        try:
            handler(sender, **kwargs)
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("screens push after %s failed", handler.__name__)
        except Exception:
            log.exception("screens push after %s failed", handler.__name__)

    return wrapper


@_guarded
def _on_content_changed(sender: Any, **kwargs: Any) -> None:
    names = screens_showing(kwargs.get("kind", ""), kwargs.get("ids") or [])
    if names:
        push(names)


@_guarded
def _on_content_deleted(sender: Any, **kwargs: Any) -> None:
    # The deleted rows' playlist links are already gone (SET NULL): every screen may change.
    if kwargs.get("kind") in _CONTENT_COLUMNS:
        push()


@_guarded
def _on_screens_changed(sender: Any, **kwargs: Any) -> None:
    names = kwargs.get("names")
    if kwargs.get("kind") == "reload" and names:
        push_reload(names)
    else:
        push(names)


@_guarded
def _on_queue_changed(sender: Any, **kwargs: Any) -> None:
    call_id, written = kwargs.get("call_id"), kwargs.get("call")
    push_queue(str(kwargs.get("kind", "")), call_id if isinstance(call_id, int) else None,
               written if isinstance(written, Call) and written.id == call_id else None)


class _TransitionTimer:
    """Pushes to every screen at the earliest ``valid_until`` this process has sent."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None
        self.at: dt.datetime | None = None

    def arm(self, app: Flask, valid_untils: Iterable[str | None]) -> None:
        moments = [dt.datetime.fromisoformat(v) for v in valid_untils if v]
        if not moments:
            return
        at = min(moments)
        delay = (at - utcnow()).total_seconds()
        if delay > MAX_TIMER_SECONDS:
            return
        with self.lock:
            if self.timer is not None and self.timer.is_alive() and self.at is not None \
                    and self.at <= at:
                return
            self.cancel_locked()
            self.at = at
            # One second late on purpose: the edge itself belongs to the new state.
            self.timer = threading.Timer(max(0.0, delay) + 1.0, self._fire, args=(app,))
            self.timer.daemon = True
            self.timer.start()

    def cancel_locked(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer, self.at = None, None

    def cancel(self) -> None:
        with self.lock:
            self.cancel_locked()

    def _fire(self, app: Flask) -> None:
        with self.lock:
            self.timer, self.at = None, None
        try:
            with app.app_context():
                push()
                db.session.remove()
        except Exception:  # a timer thread must never die loudly; the next change re-arms it
            log.exception("scheduled screens push failed")


_timer = _TransitionTimer()


def cancel_timer() -> None:
    """Stop this process's transition timer (tests, shutdown)."""
    _timer.cancel()


def arm_timer(app: Flask, valid_untils: Iterable[str | None]) -> None:
    """Make sure a push happens at the earliest of these moments (ISO strings)."""
    _timer.arm(app, valid_untils)


class _NoWebsocketDeflate:
    """WSGI middleware: forget the client's WebSocket extension offers (permessage-deflate is
    the only one browsers make), so the handshake answers without compression."""

    def __init__(self, wsgi_app: WSGIApplication) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    """Listen to the domain's signals (once per process; blinker ignores repeats) and serve
    the websockets uncompressed (see the module's note)."""
    app.wsgi_app = _NoWebsocketDeflate(app.wsgi_app)  # type: ignore[method-assign]
    content_changed.connect(_on_content_changed, weak=False)
    content_deleted.connect(_on_content_deleted, weak=False)
    screens_changed.connect(_on_screens_changed, weak=False)
    queue_changed.connect(_on_queue_changed, weak=False)
