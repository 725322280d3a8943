"""What a screen shows now, as the JSON state of the screens contract.

``build_state(name, now)`` reads the screen, its playlist (its own, else its group's, the first
whose schedule is on air), the ticker and any emergency message, and returns one dict. Only
published content reaches a screen: a slide whose notice, policy or interpretation is a draft,
scheduled, withdrawn, expired or deleted is left out. Text fields are plain text; ``html`` is
sanitized again with nh3 on the way out. ``side`` is the queue's calling board
(``tickets.board.build_board``, built once for all screens) when the screen's side zone is on,
else None. ``valid_until`` is the next moment the state changes by
the clock alone (a schedule edge, an emergency's end, content expiring); screens ask again then.

A build sits on the push path (one per change, before the fan-out to every screen), so its
reads do not grow with the slides: the screens with their groups, their playlists with the
items, then one query per kind of content on air (notices with their agencies, policies with
their issuers, interpretations with their policies, media alt texts), whatever the number of
screens and slides. What is pure (QR codes, sanitized HTML) is cached between builds.

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
from sqlalchemy.orm import joinedload, selectinload
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
    """What one build reads once and shares between screens: the content on air (read by
    ``_prefetch``, one query per kind), each playlist's slides and next schedule edge, the
    suggestion answers and the queue board."""

    now: dt.datetime
    playlists: dict[int, Playlist] = field(default_factory=dict)
    slides: dict[int, tuple[list[dict[str, Any]], list[dt.datetime]]] = field(
        default_factory=dict)
    transitions: dict[int, dt.datetime | None] = field(default_factory=dict)
    notices: dict[int, Notice] = field(default_factory=dict)
    policies: dict[int, Policy] = field(default_factory=dict)
    interpretations: dict[int, Interpretation] = field(default_factory=dict)
    alts: dict[str, str] = field(default_factory=dict)
    suggestions: list[dict[str, Any]] | None = None
    board: dict[str, Any] | None = None

    def side(self) -> dict[str, Any]:
        if self.board is None:
            self.board = build_board(self.now)
        return self.board

    def suggestion_items(self) -> list[dict[str, Any]]:
        if self.suggestions is None:
            self.suggestions = slide_items()
        return self.suggestions


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


@functools.lru_cache(maxsize=256)
def _clean_html(html: str) -> str:
    """``clean_html`` (pure), cached: the same bodies go out on every push."""
    return clean_html(html)


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
    notice = reads.notices.get(item.notice_id) if item.notice_id else None
    if notice is None or not _live(notice, reads.now, ends):
        return None
    if notice.expires_on is not None:
        local_end = dt.datetime.combine(notice.expires_on + dt.timedelta(days=1), dt.time(0),
                                        tzinfo=schedule.HALL_ZONE)
        if local_end <= reads.now:
            return None
        ends.append(local_end)
    agency = notice.agency.name if notice.agency else ""
    return _slide(item, title=item.title or notice.title, html=_clean_html(notice.body_html),
                  caption=item.text or agency,
                  meta={"published_on": notice.published_on.isoformat(), "agency": agency},
                  qr_svg=qr_svg(_page_url("kiosk.notice", notice_id=notice.id), notice.title))


def _policy_slide(item: PlaylistItem, reads: _Reads, ends: list[dt.datetime]
                  ) -> dict[str, Any] | None:
    policy = reads.policies.get(item.policy_id) if item.policy_id else None
    if policy is None or not _live(policy, reads.now, ends):
        return None
    return _slide(item, title=item.title or policy.title, caption=item.text or policy.summary,
                  qr_svg=qr_svg(_page_url("kiosk.policy", policy_id=policy.id), policy.title),
                  meta={"doc_number": policy.doc_number, "issuer": policy.issuer.name,
                        "issued_on": policy.issued_on.isoformat(),
                        "validity": policy.validity.value})


def _interpretation_slide(item: PlaylistItem, reads: _Reads, ends: list[dt.datetime]
                          ) -> dict[str, Any] | None:
    found = (reads.interpretations.get(item.interpretation_id)
             if item.interpretation_id else None)
    if found is None or not _live(found, reads.now, ends):
        return None
    text_kind = found.kind == InterpretationKind.TEXT
    policy = found.policy if found.policy and found.policy.status == PubStatus.PUBLISHED else None
    return _slide(
        item, title=item.title or found.title,
        html=_clean_html(found.body_html) if text_kind or not found.image else "",
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
    alt = reads.alts.get(item.media) or item.title or item.text
    if item.kind == SlideKind.VIDEO:
        return _slide(item, video=_media_url(item.media), image_alt=alt)
    return _slide(item, image=_media_url(item.media), image_alt=alt)


def _suggestions_slide(item: PlaylistItem, reads: _Reads) -> dict[str, Any] | None:
    """The newest published answers of the suggestion box as plain text in ``meta.items``
    (the page sets them as text, never as markup); no slide while none is published."""
    items = reads.suggestion_items()
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
        return _suggestions_slide(item, reads)
    return None


def _on_air_items(playlist: Playlist, now: dt.datetime) -> list[PlaylistItem]:
    return [i for i in playlist.items if i.enabled and schedule.is_active(i, now)]


def _prefetch(items: Sequence[PlaylistItem], reads: _Reads) -> None:
    """Read the content ``items`` show into ``reads``: one query per kind, each with the row
    its slide shows beside it (a notice's agency, a policy's issuer, an interpretation's
    policy), instead of a lazy load per slide."""
    def ids(kind: SlideKind, column: str) -> set[int]:
        return {getattr(i, column) for i in items if i.kind == kind and getattr(i, column)}

    notice_ids = ids(SlideKind.NOTICE, "notice_id")
    if notice_ids:
        reads.notices = {n.id: n for n in db.session.scalars(
            select(Notice).where(Notice.id.in_(notice_ids)).options(joinedload(Notice.agency)))}
    policy_ids = ids(SlideKind.POLICY, "policy_id")
    if policy_ids:
        reads.policies = {p.id: p for p in db.session.scalars(
            select(Policy).where(Policy.id.in_(policy_ids)).options(joinedload(Policy.issuer)))}
    interpretation_ids = ids(SlideKind.INTERPRETATION, "interpretation_id")
    if interpretation_ids:
        reads.interpretations = {i.id: i for i in db.session.scalars(
            select(Interpretation).where(Interpretation.id.in_(interpretation_ids))
            .options(joinedload(Interpretation.policy)))}
    media = {i.media for i in items if i.kind in (SlideKind.IMAGE, SlideKind.VIDEO) and i.media}
    if media:
        reads.alts = {name: alt or "" for name, alt in db.session.execute(
            select(MediaFile.filename, MediaFile.alt).where(MediaFile.filename.in_(media)))}


def _playlist_slides(playlist: Playlist, reads: _Reads
                     ) -> tuple[list[dict[str, Any]], list[dt.datetime]]:
    """The playlist's slides on air now, in order, and the content expiries that may change
    them (computed once per playlist per build)."""
    if playlist.id not in reads.slides:
        slides: list[dict[str, Any]] = []
        ends: list[dt.datetime] = []
        for item in _on_air_items(playlist, reads.now):
            slide = _item_slide(item, reads, ends)
            if slide is not None:
                slides.append(slide)
        reads.slides[playlist.id] = (slides, ends)
    return reads.slides[playlist.id]


def _candidate_playlists(screen: Screen, reads: _Reads) -> list[Playlist]:
    """The screen's own playlist and its group's (read by ``_read_playlists``)."""
    ids = [screen.playlist_id, screen.group.playlist_id if screen.group else None]
    return [reads.playlists[i] for i in ids if i is not None and i in reads.playlists]


def _chosen_playlist(screen: Screen, reads: _Reads) -> Playlist | None:
    """The screen's own playlist if on air, else its group's if on air, else None."""
    return next((p for p in _candidate_playlists(screen, reads)
                 if schedule.is_active(p, reads.now)), None)


def _playlist_transition(playlist: Playlist, reads: _Reads) -> dt.datetime | None:
    """The next schedule edge of the playlist or any of its enabled items (once per playlist
    per build; the first edge of several rules is the earliest of their own first edges)."""
    if playlist.id not in reads.transitions:
        rules = [playlist, *(i for i in playlist.items if i.enabled)]
        reads.transitions[playlist.id] = schedule.next_transition(rules, reads.now)
    return reads.transitions[playlist.id]


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
                  ticker: Sequence[TickerItem], ticker_transition: dt.datetime | None,
                  emergencies: Sequence[EmergencyMessage]) -> dict[str, Any]:
    now = reads.now
    slides: list[dict[str, Any]] = []
    ends: list[dt.datetime] = []
    chosen = _chosen_playlist(screen, reads)
    if chosen is not None:
        slides, ends = _playlist_slides(chosen, reads)
    emergency = _emergency_for(screen, emergencies)
    changes = [e for e in ends if e > now]
    if emergency is not None and emergency.until is not None:
        changes.append(emergency.until)
    transitions = [ticker_transition,
                   *(_playlist_transition(p, reads) for p in _candidate_playlists(screen, reads))]
    changes.extend(t for t in transitions if t is not None)
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
    """The screens with their groups, one query (``_read_playlists`` reads the playlists)."""
    return select(Screen).options(joinedload(Screen.group))


def _read_playlists(screens: Sequence[Screen], reads: _Reads) -> None:
    """Read the screens' and their groups' playlists with their items: two queries in all."""
    ids = {s.playlist_id for s in screens} | {s.group.playlist_id for s in screens if s.group}
    ids.discard(None)
    if ids:
        reads.playlists = {p.id: p for p in db.session.scalars(
            select(Playlist).where(Playlist.id.in_(ids)).options(selectinload(Playlist.items)))}


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
    _read_playlists(screens, reads)
    chosen = {p.id: p for p in (_chosen_playlist(s, reads) for s in screens) if p is not None}
    _prefetch([i for p in chosen.values() for i in _on_air_items(p, now)], reads)
    ticker_transition = schedule.next_transition(all_ticker, now)
    return {s.name: _screen_state(s, version, reads, ticker, ticker_transition, emergencies)
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
