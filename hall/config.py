"""Configuration layers: these defaults, then ``instance/config.py``, then ``GONGKAI_*``
environment variables (and ``DATABASE_URL``), then the test's mapping."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "HALL_NAME": "章贡区政务服务中心 政务公开专区",
    # Public address phones use for QR codes (the hall's LAN name or public site).
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    "KIOSK_IDLE_SECONDS": 90,
    "KIOSK_IDLE_WARNING_SECONDS": 15,
    "SEARCH_PAGE_SIZE": 10,
    "SEARCH_MAX_QUERY_CHARS": 100,
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "LANGUAGES": ["zh_CN", "en"],
    "DISPLAY_TIMEZONE": "Asia/Shanghai",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    # Text-to-speech for read-aloud when the browser has no Chinese voice (espeak-ng).
    "TTS_COMMAND": "espeak-ng",
    # Staff sign-in: lock after this many wrong passwords in a row, for this long; each failure
    # in a row slows the answer by the delay (capped); sessions end after this much idleness.
    "STAFF_LOGIN_MAX_FAILURES": 5,
    "STAFF_LOCKOUT_MINUTES": 15,
    "STAFF_FAILURE_DELAY_SECONDS": 1.0,
    "STAFF_FAILURE_DELAY_MAX_SECONDS": 5.0,
    "STAFF_SESSION_MINUTES": 30,
    "STAFF_PASSWORD_MIN_LENGTH": 10,
    # Networks (CIDR) allowed to open /staff, e.g. ["127.0.0.1/32", "10.20.0.0/16"]; empty: any.
    "STAFF_NETWORKS": [],
    # CSRF tokens live as long as the session; staff sessions end on their own idle timeout.
    "WTF_CSRF_TIME_LIMIT": None,
}


def database_url(instance_path: str) -> str:
    """The database address: ``DATABASE_URL`` if set, else SQLite in the instance folder."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "gongkai.sqlite3")
    return normalise_url(url)


def normalise_url(url: str) -> str:
    """Point plain PostgreSQL addresses at the psycopg 3 driver this project installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
