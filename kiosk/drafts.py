"""Half-filled kiosk forms, kept on the server between the form's steps.

A step's values (an ID number, a phone, up to 2 000 characters of description) are too large
and too personal for the session cookie, which is signed but readable and has a 4 KB limit.
So the cookie holds only a random draft id; the values are sealed (``hall.crypto``, a purpose
of their own) and kept here for ``KIOSK_DRAFT_MINUTES``, in memory for one server process or
in Redis (``KIOSK_DRAFT_STORAGE_URI = "redis://…"``) when several processes serve the kiosks.
Finishing, filing and the idle reset delete the draft at once; an abandoned one expires.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Protocol

import redis
from flask import Flask, current_app

from hall.crypto import seal, unseal

PURPOSE = b"gongkai kiosk draft v1"
EXTENSION = "kiosk_drafts"


class Store(Protocol):
    def put(self, key: str, value: str, seconds: int) -> None: ...
    def get(self, key: str) -> str | None: ...
    def pop(self, key: str) -> str | None: ...


class MemoryStore:
    """One process's drafts, each with its expiry; expired ones are dropped as others come."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, str]] = {}

    def _expire(self, now: float) -> None:
        for key in [k for k, (until, _v) in self._items.items() if until <= now]:
            del self._items[key]

    def put(self, key: str, value: str, seconds: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            self._items[key] = (now + seconds, value)

    def get(self, key: str) -> str | None:
        with self._lock:
            self._expire(time.monotonic())
            item = self._items.get(key)
        return item[1] if item else None

    def pop(self, key: str) -> str | None:
        with self._lock:
            self._expire(time.monotonic())
            item = self._items.pop(key, None)
        return item[1] if item else None


class RedisStore:
    """Drafts shared by every server process (``SETEX``; ``GETDEL`` so one request wins)."""

    def __init__(self, uri: str) -> None:
        self._redis = redis.Redis.from_url(uri)

    def put(self, key: str, value: str, seconds: int) -> None:
        self._redis.setex(f"kiosk-draft:{key}", seconds, value)

    def get(self, key: str) -> str | None:
        found = self._redis.get(f"kiosk-draft:{key}")
        return found.decode("ascii") if isinstance(found, bytes) else None

    def pop(self, key: str) -> str | None:
        found = self._redis.getdel(f"kiosk-draft:{key}")
        return found.decode("ascii") if isinstance(found, bytes) else None


def _store() -> Store:
    store: Store = current_app.extensions[EXTENSION]
    return store


def save(key: str, values: dict[str, Any]) -> None:
    """Keep (or replace) the draft ``key`` for another ``KIOSK_DRAFT_MINUTES``."""
    seconds = int(current_app.config["KIOSK_DRAFT_MINUTES"]) * 60
    _store().put(key, seal(json.dumps(values, ensure_ascii=False), PURPOSE), seconds)


def _open(stored: str | None) -> dict[str, Any] | None:
    if not stored:
        return None
    text = unseal(stored, PURPOSE)
    if not text:
        return None
    values = json.loads(text)
    return values if isinstance(values, dict) else None


def load(key: str) -> dict[str, Any] | None:
    """The draft's values, or None when it expired, was taken, or the key changed."""
    return _open(_store().get(key))


def take(key: str) -> dict[str, Any] | None:
    """Remove the draft and return it: of two requests at once, only one gets it."""
    return _open(_store().pop(key))


def init_app(app: Flask) -> None:
    app.config.setdefault("KIOSK_DRAFT_STORAGE_URI", "memory://")
    app.config.setdefault("KIOSK_DRAFT_MINUTES", 30)
    uri = str(app.config["KIOSK_DRAFT_STORAGE_URI"])
    app.extensions[EXTENSION] = RedisStore(uri) if uri.startswith("redis") else MemoryStore()
