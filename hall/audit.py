"""The audit log: who did what to which object, with the old and new values.

:func:`record` adds an entry to the current session and the caller's commit stores it with
the change itself, so a change and its entry land (or fail) together. Entries are never
edited: there is no page to do it and the database refuses UPDATE and DELETE.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect

from hall.extensions import db
from hall.models import AuditEntry, StaffUser

#: How the log page names actions; features add theirs with :func:`register_action`.
ACTION_LABELS: dict[str, Any] = {
    "create": _l("新建"),
    "update": _l("修改"),
    "delete": _l("删除"),
    "publish": _l("发布"),
    "withdraw": _l("撤回"),
    "import": _l("导入"),
    "export": _l("导出"),
    "upload": _l("上传"),
    "login": _l("登录"),
    "login_failed": _l("登录失败"),
    "logout": _l("退出登录"),
    "password_changed": _l("修改密码"),
    "password_reset": _l("重置密码"),
    "unlock": _l("解锁账户"),
}


def register_action(code: str, label: Any) -> None:
    ACTION_LABELS.setdefault(code, label)


def action_label(code: str) -> Any:
    return ACTION_LABELS.get(code, code)


#: Columns that change on every write and say nothing about what the editor did.
_NOISE = {"created_at", "updated_at", "password_hash", "password_changed_at", "last_login_at"}


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a column value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: Any) -> dict[str, Any]:
    """The object's column values (JSON-safe), without bookkeeping columns."""
    mapper = sa_inspect(obj).mapper
    return {
        attr.key: _plain(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in _NOISE
    }


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
         ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Only the fields that changed, as (old values, new values)."""
    if old is None or new is None:
        return (dict(old) if old is not None else None, dict(new) if new is not None else None)
    keys = [k for k in new if old.get(k) != new.get(k)] + [k for k in old if k not in new]
    return ({k: old.get(k) for k in keys}, {k: new.get(k) for k in keys})


def record(action: str, *, obj_type: str = "", obj_id: Any = None, label: str = "",
           old: Mapping[str, Any] | None = None, new: Mapping[str, Any] | None = None,
           actor: StaffUser | None = None, actor_name: str | None = None) -> AuditEntry:
    """Add an entry (not committed). The actor defaults to the signed-in staff member unless
    ``actor_name`` names another (the system, the command line, a name typed at sign-in)."""
    if actor is None and actor_name is None and has_request_context():
        actor = g.get("staff_user")
    name = actor_name if actor_name is not None else (actor.username if actor else "系统")
    entry = AuditEntry(
        action=action, object_type=obj_type, object_id="" if obj_id is None else str(obj_id),
        object_label=label[:300], old=_plain(dict(old)) if old is not None else None,
        new=_plain(dict(new)) if new is not None else None,
        actor_id=actor.id if actor else None, actor_name=name[:100],
        remote_addr=(request.remote_addr or "")[:45] if has_request_context() else "",
    )
    db.session.add(entry)
    return entry


def record_change(action: str, obj: Any, before: Mapping[str, Any] | None, *,
                  obj_type: str = "", label: str = "") -> AuditEntry:
    """Record a create/update/delete of a model object, storing only what changed.

    :param before: ``snapshot(obj)`` taken before the change; None for a new object.
    """
    if action != "delete":
        db.session.flush()  # a new object gets its id
    after = None if action == "delete" else snapshot(obj)
    old, new = diff(before, after)
    return record(action, obj_type=obj_type or sa_inspect(obj).mapper.local_table.name,
                  obj_id=getattr(obj, "id", None),
                  label=label or str(getattr(obj, "title", "") or getattr(obj, "name", "")),
                  old=old, new=new)
