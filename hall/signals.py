"""Signals the domain sends to say what happened; the edges (search index, screens) listen."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sent with ``kind`` ("policy", "interpretation", "guide", "notice") and ``ids`` after a commit.
content_changed = _signals.signal("content-changed")
#: sent with ``kind`` and ``ids`` after content is deleted.
content_deleted = _signals.signal("content-deleted")
#: sent by the screens' staff pages and registry after a commit that changes what screens show:
#: ``kind`` ("screen", "group", "playlist", "item", "ticker", "emergency", "reload"), ``ids``,
#: and optionally ``names`` (screen names affected; none means every screen may be).
screens_changed = _signals.signal("screens-changed")
#: sent by ``tickets.queue`` after a commit that changes the queue: ``kind`` ("issued", "call",
#: "recall", "finish", "no_show", "transfer", "window", "service"), ``service_ids``, and
#: ``call_id`` for a call or recall (the ``queue_call`` row the lobby announces).
queue_changed = _signals.signal("queue-changed")
#: sent by the calendar's staff page after a commit that adds or removes an override: ``days``
#: (the dates changed). Features that store due dates counted in working days recompute them.
calendar_changed = _signals.signal("calendar-changed")
