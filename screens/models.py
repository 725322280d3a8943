"""Lobby screens, their groups and playlists, ticker lines and emergency messages.

Every playlist, playlist item and ticker line carries the same schedule columns (start/end
date-time, weekdays, a daily window that may cross midnight); ``screens.schedule`` decides
from them whether the row is on air at a given moment.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall.db import UTCDateTime, utcnow
from hall.extensions import db

#: Monday = bit 0 … Sunday = bit 6; 127 means every day.
ALL_WEEKDAYS = 0b1111111


class Orientation(enum.StrEnum):
    LANDSCAPE = "landscape"  # 1920×1080
    PORTRAIT = "portrait"  # 1080×1920


class SlideKind(enum.StrEnum):
    """What a playlist item shows; the first three point at published content."""

    NOTICE = "notice"
    POLICY = "policy"
    INTERPRETATION = "interpretation"
    IMAGE = "image"
    VIDEO = "video"
    SUGGESTIONS = "suggestions"  # the newest published answers of the suggestion box


class EmergencyTarget(enum.StrEnum):
    SCREEN = "screen"
    GROUP = "group"
    ALL = "all"


def new_token() -> str:
    """A fresh reload token: when a screen sees it change, the page reloads itself."""
    return secrets.token_hex(8)


class Scheduled:
    """Schedule columns: on air between ``start_at`` and ``end_at`` (either may be open), on the
    ``weekdays`` set in the bitmask, and within the daily window (local time of the hall).

    A window whose end is before its start crosses midnight (22:00–06:00); a window with both
    ends empty, or equal ends, is the whole day.
    """

    start_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    end_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    weekdays: Mapped[int] = mapped_column(Integer, default=ALL_WEEKDAYS,
                                          server_default=str(ALL_WEEKDAYS))
    window_start: Mapped[dt.time | None] = mapped_column(Time)
    window_end: Mapped[dt.time | None] = mapped_column(Time)


class _Stamped:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Playlist(Scheduled, _Stamped, db.Model):  # type: ignore[name-defined]
    """An ordered list of slides, assigned to screens or screen groups, with its own schedule."""

    __tablename__ = "screen_playlist"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")

    items: Mapped[list[PlaylistItem]] = relationship(
        back_populates="playlist", cascade="all, delete-orphan",
        order_by="(PlaylistItem.position, PlaylistItem.id)",
    )


class PlaylistItem(Scheduled, _Stamped, db.Model):  # type: ignore[name-defined]
    """One slide of a playlist: published content by id, or a media file, with its duration.

    ``title`` / ``text`` are the slide's own words: the caption of an image or video, or a
    replacement title for a content slide (empty: the content's own title).
    """

    __tablename__ = "screen_playlist_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    playlist_id: Mapped[int] = mapped_column(
        ForeignKey("screen_playlist.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))  # a SlideKind value
    duration: Mapped[int] = mapped_column(Integer, default=15)  # seconds
    notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("notice.id", ondelete="SET NULL"), index=True)
    policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("policy.id", ondelete="SET NULL"), index=True)
    interpretation_id: Mapped[int | None] = mapped_column(
        ForeignKey("interpretation.id", ondelete="SET NULL"), index=True)
    media: Mapped[str] = mapped_column(String(200), default="")  # file name under /media/
    title: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")

    playlist: Mapped[Playlist] = relationship(back_populates="items")


class ScreenGroup(_Stamped, db.Model):  # type: ignore[name-defined]
    """Screens that share a playlist and receive group-wide emergency messages."""

    __tablename__ = "screen_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)  # slug
    title: Mapped[str] = mapped_column(String(200), default="")
    playlist_id: Mapped[int | None] = mapped_column(
        ForeignKey("screen_playlist.id", ondelete="SET NULL"), index=True)

    playlist: Mapped[Playlist | None] = relationship()
    screens: Mapped[list[Screen]] = relationship(back_populates="group")


class Screen(_Stamped, db.Model):  # type: ignore[name-defined]
    """A lobby display that opens ``/screens/<name>``; what it shows and what it last said.

    Its own playlist wins over its group's; the zones say which parts of the layout it has.
    """

    __tablename__ = "screen"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)  # slug, part of the URL
    title: Mapped[str] = mapped_column(String(200), default="")
    orientation: Mapped[str] = mapped_column(String(20), default=Orientation.LANDSCAPE.value)
    zone_header: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    zone_main: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    zone_ticker: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    zone_side: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("screen_group.id", ondelete="SET NULL"), index=True)
    playlist_id: Mapped[int | None] = mapped_column(
        ForeignKey("screen_playlist.id", ondelete="SET NULL"), index=True)
    # Registry: what the screen said in its last hello or heartbeat.
    last_seen: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    on_air: Mapped[str] = mapped_column(String(50), default="")  # slide id, e.g. "item-12"
    seen_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    client_addr: Mapped[str] = mapped_column(String(45), default="")
    client_agent: Mapped[str] = mapped_column(String(300), default="")
    reload_token: Mapped[str] = mapped_column(String(32), default=new_token)

    group: Mapped[ScreenGroup | None] = relationship(back_populates="screens")
    playlist: Mapped[Playlist | None] = relationship()

    @property
    def zones(self) -> dict[str, bool]:
        return {"header": self.zone_header, "main": self.zone_main,
                "ticker": self.zone_ticker, "side": self.zone_side}


class TickerItem(Scheduled, _Stamped, db.Model):  # type: ignore[name-defined]
    """One short line of the scrolling ticker, shown on every screen with a ticker zone."""

    __tablename__ = "screen_ticker_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class EmergencyMessage(db.Model):  # type: ignore[name-defined]
    """A message that takes a whole screen (one, a group or all) until cleared or ``until``."""

    __tablename__ = "screen_emergency"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(String(10), default=EmergencyTarget.ALL.value)
    target_name: Mapped[str] = mapped_column(String(50), default="")  # screen or group name
    until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def active(self, now: dt.datetime) -> bool:
        return self.cleared_at is None and (self.until is None or self.until > now)


class ScreensVersion(db.Model):  # type: ignore[name-defined]
    """One row: the version of everything screens show, bumped by ``screens.push`` on every
    change (and at each schedule transition), so a screen can tell a newer state."""

    __tablename__ = "screen_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
