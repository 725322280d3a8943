"""Configuration layers: these defaults, then ``instance/config.py``, then ``GONGKAI_*``
environment variables (and ``DATABASE_URL``), then the test's mapping."""

from __future__ import annotations

import os
from collections.abc import Mapping
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
    # Printers by name: transport (network | usb | serial | file | dummy) with its keys (host,
    # port, timeout ...), paper width (58 | 80), chinese (gb18030 | raster), qr (native |
    # raster); see docs/printer.md. instance/printers.toml ([printers.NAME] tables and an
    # optional [kiosk_printers] table) replaces PRINTERS and KIOSK_PRINTERS when present.
    "PRINTERS": {
        "kiosk": {"transport": "network", "host": "127.0.0.1", "port": 9100, "width": 80,
                  "chinese": "gb18030", "qr": "native"},
    },
    # The printer of each kiosk terminal, by the terminal's IP address; "*": every other one.
    "KIOSK_PRINTERS": {"*": "kiosk"},
    # `gongkai run` starts a virtual printer on this port (slips as PNG and text in
    # instance/virtual-printer, shown on the printers' staff page); 0 or None: off.
    "VIRTUAL_PRINTER_PORT": 9100,
    "VIRTUAL_PRINTER_WIDTH": 80,
    # Print spool: seconds before each retry of a failed job (the last step repeats), and
    # attempts before a job is given up (staff may reprint it).
    "PRINT_RETRY_SECONDS": [5, 15, 60, 300],
    "PRINT_MAX_ATTEMPTS": 5,
    # The spool worker starts on the first print job (None: except in tests, which start it).
    "PRINT_WORKER_AUTOSTART": None,
    # A printer's status is trusted this long, and a page waits at most this long for it.
    "PRINTER_STATUS_SECONDS": 10,
    "PRINTER_STATUS_WAIT_SECONDS": 1.0,
    # A kiosk terminal may have at most this many slips waiting on its printer.
    "KIOSK_PRINT_MAX_WAITING": 3,
    # Redis shared by several server processes (`gongkai serve --workers N`), e.g.
    # "redis://127.0.0.1:6379/0": fills SOCKETIO_MESSAGE_QUEUE, RATELIMIT_STORAGE_URI and
    # KIOSK_DRAFT_STORAGE_URI below wherever they are left at their one-process defaults.
    "REDIS_URL": None,
    # Socket.IO transports the server accepts (None: websocket and long-polling); several
    # workers accept websocket only (long-polling would need sticky sessions).
    "SOCKETIO_TRANSPORTS": None,
    # Socket.IO message queue shared by several server processes, e.g. "redis://127.0.0.1:6379/0";
    # None: one process, events stay in memory.
    "SOCKETIO_MESSAGE_QUEUE": None,
    # The queue's channel name: processes of one hall share it; another hall on the same Redis
    # picks its own.
    "SOCKETIO_CHANNEL": "gongkai-screens",
    # Lobby screens' heartbeats (every 30 s each) are noted in memory and written together at
    # most this often, in seconds (0: each at once). Hellos are written at once.
    "SCREEN_HEARTBEAT_WRITE_SECONDS": 10,
    # Rate limits on citizen writes, counted per terminal (its address): storage "memory://"
    # for one process, "redis://127.0.0.1:6379/1" when several processes serve.
    "RATELIMIT_STORAGE_URI": "memory://",
    # Explicit on purpose: Flask-Limiter keeps the last app's value for apps that do not say.
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_HEADERS_ENABLED": True,
    # Tickets one terminal (a kiosk, a ticket button) may take (flask-limiter notation).
    "TICKET_RATE_LIMIT": "10 per minute;60 per hour",
    # Queue: how often the lobby speaks each call, how many past calls the board lists, and the
    # working days staff have to answer a 差评 (bad rating).
    "QUEUE_CALL_REPEAT": 2,
    "QUEUE_BOARD_RECENT": 6,
    "QUEUE_FOLLOWUP_WORKDAYS": 15,
    # The ticket's phone page polls this often when its socket cannot connect.
    "TICKET_PHONE_POLL_SECONDS": 30,
    # Ratings: looking up a ticket number and sending a rating, per terminal; the
    # counter-facing tablet offers the rating this long after "finish" and polls this often.
    "RATING_LOOKUP_RATE_LIMIT": "10 per minute;60 per hour",
    "RATING_RATE_LIMIT": "10 per minute;120 per hour",
    "RATING_COUNTER_SECONDS": 60,
    "RATING_COUNTER_POLL_SECONDS": 5,
    # Suggestions and consultations (feedback/) keep their own defaults in feedback/__init__.py.
}


#: What one process keeps in memory and several processes share through Redis.
SHARED_STORES = ("SOCKETIO_MESSAGE_QUEUE", "RATELIMIT_STORAGE_URI", "KIOSK_DRAFT_STORAGE_URI")


def in_memory(store: Any) -> bool:
    """Whether a store setting keeps its data in this process (unset or ``memory://``)."""
    return not store or str(store).startswith("memory")


def fill_from_redis_url(config: dict[str, Any]) -> None:
    """Point the one-process stores at ``REDIS_URL`` when it is set and they are not."""
    url = config.get("REDIS_URL")
    if not url:
        return
    for key in SHARED_STORES:
        if in_memory(config.get(key)):
            config[key] = url


def redis_urls(config: Mapping[str, Any]) -> list[str]:
    """The distinct Redis addresses the configuration uses (none in one-process mode)."""
    values = {str(config.get(key) or "") for key in ("REDIS_URL", *SHARED_STORES)}
    return sorted(v for v in values if v.startswith(("redis://", "rediss://", "unix://")))


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
