"""The lobby screen page (``/screens/<name>``) and its service worker (``/screens/sw.js``).

The page is a server-rendered shell with the screen's first state embedded as JSON; the
browser code (``static/screens/screen.js``) plays it and keeps it current over Socket.IO,
with a slow poll of ``state.json`` as the fallback.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, render_template, send_from_directory
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from hall.timefmt import local
from screens import state as screen_state

bp = Blueprint("screens", __name__, url_prefix="/screens", template_folder="templates",
               static_folder="static", static_url_path="/static")

STATIC = Path(__file__).parent / "static" / "screens"
#: The service worker controls every screen page and the assets under ``/screens/``.
SW_SCOPE = "/screens/"


def _texts() -> dict[str, Any]:
    """The words the browser code writes itself (it cannot call ``gettext``)."""
    date = _("%(y)d年%(m)d月%(d)d日", y=9999, m=88, d=77)
    return {
        "weekdays": [_("星期一"), _("星期二"), _("星期三"), _("星期四"), _("星期五"),
                     _("星期六"), _("星期日")],
        "date": date.replace("9999", "{y}").replace("88", "{m}").replace("77", "{d}"),
        "kinds": {"notice": _("通知公告"), "image": _("图解"), "video": _("视频"),
                  "policy": _("政策文件"), "interpretation": _("政策解读")},
        "doc_no": _("文号"),
        "scan": _("用手机扫码打开本文"),
        "emergency": _("紧急通知"),
        "welcome": _("欢迎来到政务公开专区"),
    }


def _date_text(now: dt.datetime) -> tuple[str, str, str]:
    day = local(now)
    date = _("%(y)d年%(m)d月%(d)d日", y=day.year, m=day.month, d=day.day)
    return date, _texts()["weekdays"][day.weekday()], day.strftime("%H:%M")


@bp.get("/<name>")
def screen(name: str) -> str:
    """The page for screen ``name``; 404 for a screen nobody has set up."""
    now = dt.datetime.now(dt.UTC)
    try:
        state = screen_state.build_state(name, now)
    except screen_state.ScreenNotFound:
        raise NotFound() from None
    date, weekday, clock = _date_text(now)
    return render_template(
        "screens/screen.html", state=state, texts=_texts(), date=date, weekday=weekday,
        clock=clock, orientation=state["screen"].get("orientation", "landscape"),
        sw_scope=SW_SCOPE,
    )


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, served from ``/screens/`` so that its scope covers every screen."""
    response = send_from_directory(STATIC, "sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = SW_SCOPE
    response.headers["Cache-Control"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
