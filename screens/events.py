"""Socket.IO handlers of the ``/screens`` namespace (they answer; ``screens.push`` emits).

A screen emits ``hello`` ``{name, version_seen}`` on every (re)connect and gets the full state
back; ``heartbeat`` ``{name, on_air, version}`` every 30 s keeps it in the registry. An unknown
name gets an ``error`` event and joins no room. A screen whose side zone is on also joins room
``queue`` (the calling board's ``call`` and ``board`` events); any other client (a ticket's
phone page, a counter-facing page) joins it by emitting ``follow`` and gets the board back.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from flask_socketio import join_room, leave_room

from hall.extensions import socketio
from hall.text import MAX_ID, clean
from screens import push, registry
from screens.push import ALL_ROOM, NAMESPACE, QUEUE_ROOM, group_room, screen_room
from screens.state import ScreenNotFound, build_state, current_version

MAX_NAME_CHARS = 50
_joined: dict[str, set[str]] = {}
_joined_lock = threading.Lock()


def _field(data: Any, key: str, kind: type) -> Any:
    """``data[key]`` if it is of ``kind``: text cleaned as a form's would be (socket messages
    skip the request's cleaning), a number only within what a database integer holds."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return clean(value, multiline=False)
    if isinstance(value, int) and not 0 <= value <= MAX_ID:
        return None
    return value


def _name(data: Any) -> str:
    name = _field(data, "name", str)
    return name[:MAX_NAME_CHARS] if name else ""


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth: Any = None) -> bool:
    """Anyone on the hall's network may watch a screen: the state is public information."""
    return True


@socketio.on("hello", namespace=NAMESPACE)
def on_hello(data: Any) -> None:
    """Join the screen's rooms and send it the full current state."""
    name = _name(data)
    try:
        state = build_state(name)
    except ScreenNotFound:
        push.reply("error", push.envelope(
            "error", current_version(), code="unknown_screen",
            message=_("没有名为“%(name)s”的屏幕。", name=name)))
        return
    sid = request.sid  # type: ignore[attr-defined]
    keep = {sid, screen_room(name), ALL_ROOM}
    group = state["screen"].get("group")
    if group:
        keep.add(group_room(group))
    if state.get("side") is not None:
        keep.add(QUEUE_ROOM)
    # The rooms this connection joined are kept here: asking the manager (``rooms()``) walks
    # its room table while other threads' hellos change it.
    with _joined_lock:
        before = _joined.get(sid, set())
        _joined[sid] = keep - {sid}
    try:
        for room in before - keep:
            leave_room(room, sid=sid, namespace=NAMESPACE)
        for room in keep - {sid} - before:
            join_room(room, sid=sid, namespace=NAMESPACE)
    except ValueError:  # the screen left while its hello waited for a thread: nobody to answer
        with _joined_lock:
            _joined.pop(sid, None)
        return
    push.reply("state", state)
    if not (isinstance(data, dict) and data.get("preview") is True):  # a staff preview
        version = _field(data, "version_seen", int)
        registry.seen(name, version=version, addr=request.remote_addr or "",
                      agent=clean(request.headers.get("User-Agent", ""), multiline=False))
    push.arm_timer(current_app._get_current_object(),  # type: ignore[attr-defined]
                   [state["valid_until"]])


@socketio.on("follow", namespace=NAMESPACE)
def on_follow(data: Any = None) -> None:
    """Join room ``queue`` and get the board now; any client may (the board is public)."""
    sid = request.sid  # type: ignore[attr-defined]
    with _joined_lock:
        rooms = _joined.setdefault(sid, set())
        new = QUEUE_ROOM not in rooms
        rooms.add(QUEUE_ROOM)
    if new:
        join_room(QUEUE_ROOM, sid=sid, namespace=NAMESPACE)
    push.reply("board", push.board_event())


@socketio.on("disconnect", namespace=NAMESPACE)
def on_disconnect(reason: Any = None) -> None:
    """Forget the connection's rooms (the server has left them already)."""
    with _joined_lock:
        _joined.pop(request.sid, None)  # type: ignore[attr-defined]


@socketio.on("heartbeat", namespace=NAMESPACE)
def on_heartbeat(data: Any) -> None:
    """Note the screen as seen, with the slide on air and the version it plays."""
    name = _name(data)
    if name:
        on_air = _field(data, "on_air", str)
        registry.heartbeat(name, on_air=on_air if on_air is not None else "",
                           version=_field(data, "version", int))
