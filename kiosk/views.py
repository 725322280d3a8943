"""Kiosk frame: the start screen and the per-person preferences (elder mode, language, reset).

Preferences live in the session only, so the idle reset (``/kiosk/reset``) wipes everything
the last person chose.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.wrappers import Response

from hall.extensions import limiter
from hall.i18n import SESSION_KEY as LANG_KEY

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk", template_folder="templates",
               static_folder="static", static_url_path="/static")

ELDER_KEY = "elder"


def today() -> dt.date:
    """The hall's local date (Asia/Shanghai by default), not the server's UTC date."""
    zone = ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "Asia/Shanghai"))
    return dt.datetime.now(zone).date()


def chinese_date(day: dt.date | None) -> str:
    """``2026年11月26日`` (the Chinese text is the msgid; English gets its own format)."""
    if day is None:
        return ""
    return _("%(y)d年%(m)d月%(d)d日", y=day.year, m=day.month, d=day.day)


def weekday_name(day: dt.date) -> str:
    names = [_("星期一"), _("星期二"), _("星期三"), _("星期四"), _("星期五"), _("星期六"),
             _("星期日")]
    return names[day.weekday()]


def safe_next(default: str = "") -> str:
    """The ``next`` target if it is a path on this site, else the start screen."""
    target = request.values.get("next", "") or default
    parts = urlsplit(target)
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or parts.scheme or parts.netloc):
        return url_for("kiosk.index")
    return target


def int_arg(name: str, *, low: int = 1, high: int = 10**9) -> int | None:
    """An optional integer query parameter; a bad value is a clear 400, never a 500."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise BadRequest(_("参数“%(name)s”的值无效。", name=name))
    return int(raw)


def found(obj: Any) -> Any:
    """The object, or a 404 page when it does not exist."""
    if obj is None:
        raise NotFound()
    return obj


@bp.app_template_filter("zh_date")
def _zh_date(day: dt.date | None) -> str:
    return chinese_date(day)


@bp.context_processor
def _kiosk_context() -> dict[str, Any]:
    config = current_app.config
    return {
        "hall_name": config["HALL_NAME"],
        "elder": bool(session.get(ELDER_KEY)),
        "idle_seconds": int(config.get("KIOSK_IDLE_SECONDS", 90)),
        "idle_warning_seconds": int(config.get("KIOSK_IDLE_WARNING_SECONDS", 15)),
        "here": request.full_path.rstrip("?"),
        # The untouched start screen needs no idle reset; every other state does.
        "idle_armed": request.endpoint != "kiosk.index" or bool(session),
        "page_url": page_url,
    }


def page_url(number: int) -> str:
    """This page's address with ``page`` set, keeping the other query parameters."""
    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
    values["page"] = str(number)
    return url_for(str(request.endpoint), **values)


@bp.get("/")
def index() -> str:
    day = today()
    return render_template("kiosk/index.html", today=day, weekday=weekday_name(day))


@bp.route("/elder", methods=["GET", "POST"])
@limiter.shared_limit(lambda: str(current_app.config["KIOSK_FORM_RATE_LIMIT"]),
                      scope="kiosk-form", methods=["POST"])
def elder() -> Response:
    """Turn elder mode on (``on=1``) or off (``on=0``) and go back where the person was."""
    value = request.values.get("on", "")
    if value not in {"0", "1"}:
        raise BadRequest(_("长者模式的开关值无效。"))
    session[ELDER_KEY] = value == "1"
    return redirect(safe_next())


@bp.get("/lang/<code>")
def lang(code: str) -> Response:
    if code not in current_app.config["LANGUAGES"]:
        raise NotFound()
    session[LANG_KEY] = code
    refresh()  # Flask-Babel caches the locale per context; the choice just changed
    return redirect(safe_next())


@bp.route("/reset", methods=["GET", "POST"])
def reset() -> Response:
    """Forget the last person: elder mode, language, anything kept in the session."""
    session.clear()
    refresh()
    response = redirect(url_for("kiosk.index"))
    response.headers["Clear-Site-Data"] = '"storage"'
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
