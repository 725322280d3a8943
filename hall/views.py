"""Hall-wide routes: the root redirect and a health check."""

from __future__ import annotations

import logging
import threading
from typing import Any

import redis
from flask import Blueprint, Flask, current_app, jsonify, redirect, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from hall.config import redis_urls
from hall.extensions import db

log = logging.getLogger(__name__)

bp = Blueprint("hall", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/hall")

#: Seconds /healthz waits for Redis (a load balancer or watchdog asks often and wants it fast).
HEALTH_REDIS_TIMEOUT = 0.5
#: Seconds the database may take to answer (PostgreSQL ``statement_timeout``).
HEALTH_DB_TIMEOUT_MS = 2000
_clients_lock = threading.Lock()


@bp.get("/")
def root() -> Response:
    return redirect(url_for("kiosk.index"))


def _database_ok() -> bool:
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text(f"SET LOCAL statement_timeout = {HEALTH_DB_TIMEOUT_MS}"))
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("healthz: database: %s", type(exc).__name__)
        return False
    finally:
        db.session.rollback()
    return True


def _redis_clients(app: Flask) -> list[Any]:
    """One client per distinct Redis address in the configuration, kept for the next ask."""
    urls = redis_urls(app.config)
    with _clients_lock:
        clients: dict[str, Any] = app.extensions.setdefault("healthz_redis", {})
        for url in urls:
            if url not in clients:
                clients[url] = redis.Redis.from_url(
                    url, socket_connect_timeout=HEALTH_REDIS_TIMEOUT,
                    socket_timeout=HEALTH_REDIS_TIMEOUT)
        return [clients[url] for url in urls]


def _redis_ok(clients: list[Any]) -> bool:
    for client in clients:
        try:
            client.ping()
        except (redis.RedisError, OSError) as exc:
            log.warning("healthz: redis: %s", type(exc).__name__)
            return False
    return True


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the database (and Redis, where configured) answers, else 503; names no
    address, no person and no error text, only what is up."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    body: dict[str, str] = {"database": "ok" if _database_ok() else "unreachable"}
    clients = _redis_clients(app)
    if clients:
        body["redis"] = "ok" if _redis_ok(clients) else "unreachable"
    healthy = all(value == "ok" for value in body.values())
    return jsonify(status="ok" if healthy else "error", **body), 200 if healthy else 503


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
