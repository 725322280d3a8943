"""Admin pages for staff accounts: list, add, change roles, reset a password, unlock, disable."""

from __future__ import annotations

import secrets
import string

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from hall import accounts, audit
from hall.auth import bp, current_user, role_required
from hall.extensions import db
from hall.models import Role, StaffUser


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, str(label)) for role, label in accounts.ROLE_LABELS.items()]


def _known_roles(form: FlaskForm, field: SelectMultipleField) -> None:
    known = {role.value for role in Role}
    if any(value not in known for value in field.data or []):
        raise ValidationError(_("角色无效，请从列表中选择。"))


class UserForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[
        DataRequired(_l("请填写用户名。")), Length(max=50, message=_l("用户名最多 50 个字符。")),
        Regexp(r"^[A-Za-z0-9_.\-]+$", message=_l("用户名只能用字母、数字、点、横线和下划线。")),
    ])
    display_name = StringField(_l("姓名"), validators=[Length(max=100)])
    roles = _Checkboxes(_l("角色"), validate_choice=False,
                        validators=[DataRequired(_l("请至少选择一个角色。")), _known_roles])
    active = BooleanField(_l("启用"), default=True)


def _temporary_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(10)) + "-" + secrets.choice("23456789")


@bp.get("/users")
@role_required(Role.ADMIN)
def users() -> str:
    rows = db.session.scalars(select(StaffUser).order_by(StaffUser.username)).all()
    return render_template("hall/staff/users.html", users=rows, title=_l("工作人员账户"))


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_new() -> Response | str | tuple[str, int]:
    form = UserForm()
    form.roles.choices = _role_choices()
    if form.validate_on_submit():
        if accounts.user_named(form.username.data or "") is not None:
            form.username.errors = [_("这个用户名已被使用。")]
        else:
            temp = _temporary_password()
            user = accounts.create_user(form.username.data or "", temp, form.roles.data or [],
                                        display_name=form.display_name.data or "",
                                        must_change_password=True)
            user.active = bool(form.active.data)
            audit.record_change("create", user, None, label=user.username)
            db.session.commit()
            return render_template("hall/staff/user_password.html", user=user, password=temp,
                                   title=_l("初始密码"))
    status = 422 if request.method == "POST" else 200
    return render_template("hall/staff/user_form.html", form=form, user=None,
                           title=_l("新增账户")), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_edit(user_id: int) -> Response | str | tuple[str, int]:
    user = db.get_or_404(StaffUser, user_id)
    form = UserForm(obj=user)
    form.roles.choices = _role_choices()
    if form.validate_on_submit():
        clash = accounts.user_named(form.username.data or "")
        me = current_user()
        if clash is not None and clash.id != user.id:
            form.username.errors = [_("这个用户名已被使用。")]
        elif me is not None and me.id == user.id and (
                Role.ADMIN not in (form.roles.data or []) or not form.active.data):
            flash(_("不能取消自己的管理员角色或停用自己的账户。"), "error")
        else:
            before = audit.snapshot(user)
            user.username = (form.username.data or "").strip()
            user.display_name = (form.display_name.data or "").strip()
            user.roles = sorted(set(form.roles.data or []))
            user.active = bool(form.active.data)
            audit.record_change("update", user, before, label=user.username)
            db.session.commit()
            flash(_("账户已保存。"), "success")
            return redirect(url_for("staff.users"))
    status = 422 if request.method == "POST" else 200
    return render_template("hall/staff/user_form.html", form=form, user=user,
                           title=_l("编辑账户")), status


@bp.post("/users/<int:user_id>/reset-password")
@role_required(Role.ADMIN)
def user_reset_password(user_id: int) -> str:
    user = db.get_or_404(StaffUser, user_id)
    temp = _temporary_password()
    accounts.set_password(user, temp, must_change=True)
    audit.record("password_reset", obj_type="staff_user", obj_id=user.id, label=user.username)
    db.session.commit()
    return render_template("hall/staff/user_password.html", user=user, password=temp,
                           title=_l("临时密码"))


@bp.post("/users/<int:user_id>/unlock")
@role_required(Role.ADMIN)
def user_unlock(user_id: int) -> Response:
    user = db.get_or_404(StaffUser, user_id)
    before = audit.snapshot(user)
    accounts.unlock(user)
    audit.record_change("unlock", user, before, label=user.username)
    db.session.commit()
    flash(_("账户已解锁。"), "success")
    return redirect(url_for("staff.users"))

