"""What a screen shows now, as the JSON state of the screens contract.

``build_state(name, now)`` reads the screen, its playlist (its own, else its group's, the first
whose schedule is on air), the ticker and any emergency message, and returns one dict. Only
published content reaches a screen: a slide whose notice, policy or interpretation is a draft,
scheduled, withdrawn, expired or deleted is left out. Text fields are plain text; ``html`` is
sanitized again with nh3 on the way out. ``side`` is the queue's calling board
(``tickets.board.build_board``, built once for all screens) when the screen's side zone is on,
else None. ``valid_until`` is the next moment the state changes by
the clock alone (a schedule edge, an emergency's end, content expiring); screens ask again then.

The version is one counter row (``screen_version``) that ``screens.push`` bumps on every change
it pushes and at every schedule transition, so it only grows and all processes share it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import qrcode
import qrcode.constants
from flask import current_app
from flask_babel import gettext
from markupsafe import escape
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from content.models import Interpretation, InterpretationKind, MediaFile, Notice, Policy, PubStatus
from content.sanitize import clean_html
from feedback.suggestions import slide_items
from hall.db import utcnow
from hall.extensions import db
from screens import schedule
from screens.models import (
    EmergencyMessage,
    EmergencyTarget,
    Playlist,
    PlaylistItem,
    Screen,
    ScreenGroup,
    ScreensVersion,
    SlideKind,
    TickerItem,
)
from tickets.board import build_board

VERSION_ROW = 1


class ScreenNotFound(LookupError):
    """No screen has that name."""


# -- version -------------------------------------------------------------------------------

def current_version() -> int:
    """The version of what screens show (0 before the first change)."""
    value = db.session.scalar(select(ScreensVersion.value).where(ScreensVersion.id == VERSION_ROW))
    return int(value or 0)


def bump_version() -> int:
    """Add one to the version in its own short transaction (not the caller's session) and
    return the new value; safe with several processes on one database."""
    for _attempt in range(3):
        with db.engine.begin() as conn:
            value = conn.execute(
                update(ScreensVersion).where(ScreensVersion.id == VERSION_ROW)
                .values(value=ScreensVersion.value + 1).returning(ScreensVersion.value)
            ).scalar()
            if value is not None:
                return int(value)
        try:
            with db.engine.begin() as conn:
                conn.execute(insert(ScreensVersion).values(id=VERSION_ROW, value=1))
            return 1
        except IntegrityError:
            continue  # another process made the row first: add one to it
    raise RuntimeError("could not bump the screens version")


# -- state ---------------------------------------------------------------------------------

@dataclass
class _Reads:
    """What one build reads once and shares between screens (media alts, content objects)."""

    now: dt.datetime
    slides: dict[int, tuple[list[dict[str, Any]], list[dt.datetime]]] = field(
        default_factory=dict)
    alts: dict[str, str] = field(default_factory=dict)
    board: dict[str, Any] | None = None

    def side(self) -> dict[str, Any]:
        if self.board is None:
            self.board = build_board(self.now)
        return self.board


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds") if value else None


def _media_url(name: str) -> str:
    return "/media/" + quote(name) if name else ""


def _page_url(endpoint: str, **values: Any) -> str:
    """The public address of a kiosk page, for a QR code ('' if the kiosk is not served)."""
    try:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    except BuildError:
        return ""
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + path


@functools.lru_cache(maxsize=512)
def qr_svg(url: str, label: str) -> str:
    """Inline SVG markup of a QR code for ``url`` (sized by CSS), '' for no URL.

    Each run of dark modules in a row is one stroked line, which keeps the markup near 2 KB
    (a state goes to every screen on every change, so its size is the push's cost).
    """
    if not url:
        return ""
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    runs: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append(f"M{start} {y}.5h{x - start}")
            else:
                x += 1
    size = len(matrix)
    return (f'<svg class="qr" role="img" aria-label="{escape(label)}" viewBox="0 0 {size} {size}"'
            f' xmlns="http://www.w3.org/2000/svg" shape-rendering="crispEdges">'
            f'<rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path stroke="#000" stroke-width="1" d="{"".join(runs)}"/></svg>')


def _live(obj: Any, now: dt.datetime, ends: list[dt.datetime]) -> bool:
    """Published and not past its expiry; a future expiry is noted as a change to come."""
    if obj is None or obj.status != PubStatus.PUBLISHED:
        return False
    if obj.expire_at is not None:
        if obj.expire_at <= now:
            return False
        ends.append(obj.expire_at)
    return True


def _slide(item: PlaylistItem, **fields: Any) -> dict[str, Any]:
    slide: dict[str, Any] = {
        "id": f"item-{item.id}", "kind": item.kind, "duration": max(1, item.duration),
        "title": item.title, "html": "", "image": "", "image_alt": "", "video": "",
        "qr_svg": "", "caption": item.text, "meta": {},
    }
    slide.update({k: v for k, v in fields.items() if v is not None})
    return slide


def _notice_slide(item: PlaylistItem, reads: _Reads, ends: list[dt.datetime]
                  ) -> dict[str, Any] | None:
    notice = db.session.get(Notice, item.notice_id) if item.notice_id else None
    if notice is None or not _live(notice, reads.now, ends):
        return None
    if notice.expires_on is not None:
        local_end = dt.datetime.combine(notice.expires_on + dt.timedelta(days=1), dt.time(0),
                                        tzinfo=schedule.HALL_ZONE)
        if local_end <= reads.now:
            return None
        ends.append(local_end)
    agency = notice.agency.name if notice.agency else ""
    return _slide(item, title=item.title or notice.title, html=clean_html(notice.body_html),
                  caption=item.text or agency,
                  meta={"published_on": notice.published_on.isoformat(), "agency": agency},
                  qr_svg=qr_svg(_page_url("kiosk.notice", notice_id=notice.id), notice.title))


def _policy_slide(item: PlaylistItem, reads: _Reads, ends: list[dt.datetime]
                  ) -> dict[str, Any] | None:
    policy = db.session.get(Policy, item.policy_id) if item.policy_id else None
    if policy is None or not _live(policy, reads.now, ends):
        return None
    return _slide(item, title=item.title or policy.title, caption=item.text or policy.summary,
                  qr_svg=qr_svg(_page_url("kiosk.policy", policy_id=policy.id), policy.title),
                  meta={"doc_number": policy.doc_number, "issuer": policy.issuer.name,
                        "issued_on": policy.issued_on.isoformat(),
                        "validity": policy.validity.value})


def _interpretation_slide(item: PlaylistItem, reads: _Reads, ends: list[dt.datetime]
                          ) -> dict[str, Any] | None:
    found = (db.session.get(Interpretation, item.interpretation_id)
             if item.interpretation_id else None)
    if found is None or not _live(found, reads.now, ends):
        return None
    text_kind = found.kind == InterpretationKind.TEXT
    policy = found.policy if found.policy and found.policy.status == PubStatus.PUBLISHED else None
    return _slide(
        item, title=item.title or found.title,
        html=clean_html(found.body_html) if text_kind or not found.image else "",
        image=_media_url(found.image), image_alt=found.image_alt or found.title,
        video=_media_url(found.video) if found.kind == InterpretationKind.VIDEO else "",
        caption=item.text or (policy.title if policy else ""),
        qr_svg=qr_svg(_page_url("kiosk.interpretation", interpretation_id=found.id),
                      found.title),
        meta={"interpretation_kind": found.kind.value, "author": found.author,
              "published_on": found.published_on.isoformat()})


def _media_slide(item: PlaylistItem, reads: _Reads) -> dict[str, Any] | None:
    if not item.media:
        return None
    if item.media not in reads.alts:
        alt = db.session.scalar(select(MediaFile.alt).where(MediaFile.filename == item.media))
        reads.alts[item.media] = alt or ""
    alt = reads.alts[item.media] or item.title or item.text
    if item.kind == SlideKind.VIDEO:
        return _slide(item, video=_media_url(item.media), image_alt=alt)
    return _slide(item, image=_media_url(item.media), image_alt=alt)


def _suggestions_slide(item: PlaylistItem) -> dict[str, Any] | None:
    """The newest published answers of the suggestion box as plain text in ``meta.items``
    (the page sets them as text, never as markup); no slide while none is published."""
    items = slide_items()
    if not items:
        return None
    title = item.title or gettext("群众意见建议答复")
    return _slide(item, title=title, meta={"items": items},
                  qr_svg=qr_svg(_page_url("kiosk.suggest_answers"), title))


def _item_slide(item: PlaylistItem, reads: _Reads, ends: list[dt.datetime]
                ) -> dict[str, Any] | None:
    if item.kind == SlideKind.NOTICE:
        return _notice_slide(item, reads, ends)
    if item.kind == SlideKind.POLICY:
        return _policy_slide(item, reads, ends)
    if item.kind == SlideKind.INTERPRETATION:
        return _interpretation_slide(item, reads, ends)
    if item.kind in (SlideKind.IMAGE, SlideKind.VIDEO):
        return _media_slide(item, reads)
    if item.kind == SlideKind.SUGGESTIONS:
        return _suggestions_slide(item)
    return None


def _playlist_slides(playlist: Playlist, reads: _Reads
                     ) -> tuple[list[dict[str, Any]], list[dt.datetime]]:
    """The playlist's slides on air now, in order, and the content expiries that may change
    them (computed once per playlist per build)."""
    if playlist.id not in reads.slides:
        slides: list[dict[str, Any]] = []
        ends: list[dt.datetime] = []
        for item in playlist.items:
            if not item.enabled or not schedule.is_active(item, reads.now):
                continue
            slide = _item_slide(item, reads, ends)
            if slide is not None:
                slides.append(slide)
        reads.slides[playlist.id] = (slides, ends)
    return reads.slides[playlist.id]


def _candidate_playlists(screen: Screen) -> list[Playlist]:
    found = [screen.playlist, screen.group.playlist if screen.group else None]
    return [p for p in found if p is not None]


def _emergency_for(screen: Screen, messages: Sequence[EmergencyMessage]
                   ) -> EmergencyMessage | None:
    group = screen.group.name if screen.group else None
    for message in messages:  # newest first
        if (message.target == EmergencyTarget.ALL
                or message.target == EmergencyTarget.SCREEN and message.target_name == screen.name
                or message.target == EmergencyTarget.GROUP and message.target_name == group):
            return message
    return None


def _screen_state(screen: Screen, version: int, reads: _Reads,
                  ticker: Sequence[TickerItem], all_ticker: Sequence[TickerItem],
                  emergencies: Sequence[EmergencyMessage]) -> dict[str, Any]:
    now = reads.now
    candidates = _candidate_playlists(screen)
    rules: list[schedule.Rule] = [*candidates, *all_ticker]
    slides: list[dict[str, Any]] = []
    ends: list[dt.datetime] = []
    for playlist in candidates:
        rules.extend(i for i in playlist.items if i.enabled)
    chosen = next((p for p in candidates if schedule.is_active(p, now)), None)
    if chosen is not None:
        slides, ends = _playlist_slides(chosen, reads)
    emergency = _emergency_for(screen, emergencies)
    changes = [e for e in ends if e > now]
    if emergency is not None and emergency.until is not None:
        changes.append(emergency.until)
    transition = schedule.next_transition(rules, now)
    if transition is not None:
        changes.append(transition)
    return {
        "type": "state",
        "version": version,
        "sent_at": _iso(now),
        "valid_until": _iso(min(changes, default=None)),
        "screen": {"name": screen.name, "title": screen.title,
                   "orientation": screen.orientation, "zones": screen.zones,
                   "group": screen.group.name if screen.group else None},
        "hall": {"name": current_app.config["HALL_NAME"]},
        "slides": slides if screen.zone_main else [],
        "ticker": [{"id": t.id, "text": t.text} for t in ticker] if screen.zone_ticker else [],
        "emergency": None if emergency is None else {
            "id": emergency.id, "title": emergency.title, "text": emergency.text,
            "until": _iso(emergency.until)},
        "side": reads.side() if screen.zone_side else None,
        "reload": screen.reload_token,
    }


def _screens_query() -> Any:
    return select(Screen).options(
        selectinload(Screen.group).selectinload(ScreenGroup.playlist)
        .selectinload(Playlist.items),
        selectinload(Screen.playlist).selectinload(Playlist.items),
    )


def build_states(names: Iterable[str] | None = None, now: dt.datetime | None = None,
                 version: int | None = None) -> dict[str, dict[str, Any]]:
    """The state of each named screen (every screen for None), by name; unknown names are
    skipped. Playlists shared by several screens are read once.

    :param version: the version to stamp (default: the stored one).
    """
    now = now or utcnow()
    query = _screens_query().order_by(Screen.name)
    if names is not None:
        query = query.where(Screen.name.in_(list(names)))
    screens = db.session.scalars(query).all()
    if not screens:
        return {}
    version = current_version() if version is None else version
    all_ticker = db.session.scalars(
        select(TickerItem).where(TickerItem.enabled.is_(True))
        .order_by(TickerItem.position, TickerItem.id)).all()
    ticker = [t for t in all_ticker if schedule.is_active(t, now)]
    emergencies = [m for m in db.session.scalars(
        select(EmergencyMessage).where(EmergencyMessage.cleared_at.is_(None))
        .order_by(EmergencyMessage.created_at.desc(), EmergencyMessage.id.desc())).all()
        if m.active(now)]
    reads = _Reads(now)
    return {s.name: _screen_state(s, version, reads, ticker, all_ticker, emergencies)
            for s in screens}


def build_state(name: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """The full state of screen ``name`` at ``now`` (default: the current time).

    :raises ScreenNotFound: no screen has that name.
    """
    state = build_states([name], now).get(name)
    if state is None:
        raise ScreenNotFound(name)
    return state


def screen_names() -> list[str]:
    return list(db.session.scalars(select(Screen.name).order_by(Screen.name)))
