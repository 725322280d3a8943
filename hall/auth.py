"""Staff sign-in and the guard on every ``/staff`` route.

Every staff view is wrapped in :func:`role_required` (or :func:`login_required`); a
before-request check refuses any ``/staff`` endpoint that lacks the wrapper, so a new page
cannot be left open by mistake. Optional: staff pages only from configured networks.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from hall import accounts, audit
from hall.extensions import db
from hall.models import StaffUser

log = logging.getLogger(__name__)

bp = Blueprint("staff", __name__, url_prefix="/staff")

F = TypeVar("F", bound=Callable[..., Any])

SESSION_USER = "staff_id"
SESSION_SEEN = "staff_seen"
SESSION_PASSWORD_AT = "staff_pwd_at"


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy string
    endpoint: str
    roles: tuple[str, ...]
    order: int


def register_nav(app: Flask, label: Any, endpoint: str, *roles: str, order: int = 50) -> None:
    """Add a link to the staff menu, shown to users holding any of ``roles`` (any staff if none).

    Features call this from their ``init_app``; the frame never imports them.
    """
    app.extensions.setdefault("staff_nav", []).append(NavItem(label, endpoint, roles, order))


def current_user() -> StaffUser | None:
    return g.get("staff_user")


def role_required(*roles: str) -> Callable[[F], F]:
    """Let through signed-in staff holding any of ``roles`` (admins hold every role)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                if request.method == "GET":
                    return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
                abort(401)
            if user.must_change_password and request.endpoint not in _PASSWORD_FREE:
                return redirect(url_for("staff.password"))
            if roles and not user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped._staff_roles = roles  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


login_required = role_required()


def public(view: F) -> F:
    """Mark a ``/staff`` view that needs no sign-in (the login page itself)."""
    view._staff_public = True  # type: ignore[attr-defined]
    return view


_PASSWORD_FREE = {"staff.password", "staff.logout"}


def guard_of(view: Callable[..., Any]) -> tuple[str, ...] | None:
    """The roles a view was wrapped with; None if it has no guard at all."""
    return getattr(view, "_staff_roles", None)


def _allowed_network(addr: str | None) -> bool:
    networks = current_app.config.get("STAFF_NETWORKS") or []
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(addr or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)


def _load_user() -> Response | None:
    """Before each request: who is signed in, whether the session timed out, the guards."""
    g.staff_user = None
    user_id = session.get(SESSION_USER)
    if user_id is not None:
        user = db.session.get(StaffUser, user_id)
        idle = dt.timedelta(minutes=current_app.config["STAFF_SESSION_MINUTES"])
        seen = session.get(SESSION_SEEN, 0)
        if (user is None or not user.active
                or time.time() - seen > idle.total_seconds()
                or session.get(SESSION_PASSWORD_AT) != user.password_changed_at.timestamp()):
            _forget()
            if request.path.startswith("/staff") and request.endpoint != "staff.login":
                flash(_("登录已超时，请重新登录。"), "warning")
        else:
            g.staff_user = user
            session[SESSION_SEEN] = int(time.time())
    if not request.path.startswith("/staff"):
        return None
    if not _allowed_network(request.remote_addr):
        log.warning("staff page refused to %s", request.remote_addr)
        abort(403)
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "_staff_public", False) or request.endpoint == "static":
        return None
    if guard_of(view) is None:
        log.error("staff endpoint %s has no role guard; refused", request.endpoint)
        abort(403)
    return None


def _forget() -> None:
    for key in (SESSION_USER, SESSION_SEEN, SESSION_PASSWORD_AT):
        session.pop(key, None)


def _sign_in(user: StaffUser) -> None:
    kept = {k: session[k] for k in ("lang",) if k in session}
    session.clear()  # nothing from before the sign-in survives it
    session.update(kept)
    session[SESSION_USER] = user.id
    session[SESSION_SEEN] = int(time.time())
    session[SESSION_PASSWORD_AT] = user.password_changed_at.timestamp()


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this server, never another site (open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名。")),
                                                   Length(max=50)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请填写密码。")),
                                                    Length(max=200)])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请填写当前密码。"))])
    new = PasswordField(_l("新密码"), validators=[DataRequired(_l("请填写新密码。")),
                                                 Length(max=200)])
    confirm = PasswordField(_l("再次输入新密码"),
                            validators=[EqualTo("new", _l("两次输入的新密码不一致。"))])


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    next_url = safe_next(request.values.get("next"), url_for("staff.home"))
    if current_user() is not None and request.method == "GET":
        return redirect(next_url)
    if not form.validate_on_submit():
        return render_template("hall/staff/login.html", form=form, next_url=next_url,
                               error=""), (422 if request.method == "POST" else 200)
    config = current_app.config
    result = accounts.authenticate(
        form.username.data or "", form.password.data or "",
        max_failures=config["STAFF_LOGIN_MAX_FAILURES"],
        lockout=dt.timedelta(minutes=config["STAFF_LOCKOUT_MINUTES"]),
    )
    if result.user is None:
        audit.record("login_failed", obj_type="staff_user", label=form.username.data or "",
                     new={"failures": result.failures}, actor_name=form.username.data or "")
        db.session.commit()
        # Each failure in a row makes the answer slower, up to a cap: guessing gets expensive.
        delay = min(config["STAFF_FAILURE_DELAY_SECONDS"] * result.failures,
                    config["STAFF_FAILURE_DELAY_MAX_SECONDS"])
        time.sleep(delay)
        return render_template("hall/staff/login.html", form=form, next_url=next_url,
                               error=result.error), 401
    user = result.user
    audit.record("login", obj_type="staff_user", obj_id=user.id, label=user.username, actor=user)
    db.session.commit()
    _sign_in(user)
    if user.must_change_password:
        return redirect(url_for("staff.password"))
    return redirect(next_url)


@bp.post("/logout")
@login_required
def logout() -> Response:
    user = current_user()
    if user is not None:
        audit.record("logout", obj_type="staff_user", obj_id=user.id, label=user.username)
        db.session.commit()
    _forget()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("staff.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> Response | str | tuple[str, int]:
    user = current_user()
    assert user is not None  # the guard saw to it
    form = PasswordForm()
    errors: list[str] = []
    if form.validate_on_submit():
        if not accounts.check_password(user, form.current.data or ""):
            errors.append(_("当前密码不正确。"))
        elif form.new.data == form.current.data:
            errors.append(_("新密码不能与当前密码相同。"))
        else:
            errors = accounts.password_problems(
                form.new.data or "", username=user.username,
                min_length=current_app.config["STAFF_PASSWORD_MIN_LENGTH"])
        if not errors:
            accounts.set_password(user, form.new.data or "")
            audit.record("password_changed", obj_type="staff_user", obj_id=user.id,
                         label=user.username)
            db.session.commit()
            _sign_in(user)  # the old sessions end with the old password; this one goes on
            flash(_("密码已修改。"), "success")
            return redirect(url_for("staff.home"))
    status = 422 if request.method == "POST" else 200
    return render_template("hall/staff/password.html", form=form, errors=errors), status


def _nav() -> dict[str, Any]:
    user = current_user()
    if user is None:
        return {"staff_nav": [], "staff_user": None}
    items = sorted(current_app.extensions.get("staff_nav", []), key=lambda i: i.order)
    visible = [i for i in items if not i.roles or user.has_role(*i.roles)]
    return {"staff_nav": visible, "staff_user": user, "role_labels": accounts.ROLE_LABELS}


def init_app(app: Flask) -> None:
    app.before_request(_load_user)
    app.context_processor(_nav)
    app.register_blueprint(bp)
