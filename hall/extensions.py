"""Flask extensions, created unbound and attached in ``create_app``."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from hall.db import Base, include_object

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True, include_object=include_object)
babel = Babel()
csrf = CSRFProtect()
#: The lobby screens' live channel; ``screens.init_app`` attaches it (threading mode).
socketio = SocketIO()


def terminal_key() -> str:
    """Rate limits count per terminal: each kiosk (or ticket button) has its own address on
    the hall's LAN."""
    return request.remote_addr or "unknown"


#: Rate limits on citizen writes (``@limiter.limit(...)``); storage from
#: ``RATELIMIT_STORAGE_URI`` (memory by default, Redis when several processes serve).
limiter = Limiter(key_func=terminal_key)
