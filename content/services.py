"""Writing content: every change is sanitized, committed, then announced with a signal.

Views and importers call these; nothing here reads ``request``. The search index listens to
``content_changed`` / ``content_deleted`` and follows each change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from content.models import Agency, Category, Interpretation, Notice, Policy, ServiceGuide
from content.sanitize import clean_html
from hall.extensions import db
from hall.signals import content_changed, content_deleted

#: The kind names used in signals, search entries and URLs.
KINDS: dict[str, type[Any]] = {
    "policy": Policy,
    "interpretation": Interpretation,
    "guide": ServiceGuide,
    "notice": Notice,
}


def agency_named(name: str, *, kind: str = "department", region: str = "") -> Agency:
    """The agency of that name, created (not yet committed) if it is new."""
    agency = db.session.scalar(select(Agency).where(Agency.name == name))
    if agency is None:
        agency = Agency(name=name, kind=kind, region=region)
        db.session.add(agency)
    return agency


def category_by_code(code: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.code == code))


def apply_fields(obj: Any, fields: dict[str, Any]) -> Any:
    """Set attributes, sanitizing every ``*_html`` field on the way in."""
    for name, value in fields.items():
        if name.endswith("_html") and value is not None:
            value = clean_html(value)
        setattr(obj, name, value)
    return obj


def save(obj: Any) -> Any:
    """Commit one new or changed content object and announce it."""
    db.session.add(obj)
    db.session.commit()
    announce_changed([obj])
    return obj


def delete(obj: Any) -> None:
    kind = kind_of(obj)
    ident = obj.id
    db.session.delete(obj)
    db.session.commit()
    content_deleted.send(None, kind=kind, ids=[ident])


def announce_changed(objects: Iterable[Any]) -> None:
    """Send ``content_changed`` once per kind for objects already committed."""
    by_kind: dict[str, list[int]] = {}
    for obj in objects:
        kind = kind_of(obj)
        if kind:
            by_kind.setdefault(kind, []).append(obj.id)
    for kind, ids in by_kind.items():
        announce_ids(kind, ids)


def announce_ids(kind: str, ids: list[int]) -> None:
    """Send ``content_changed`` for committed objects known only by kind and id (bulk updates)."""
    if ids:
        content_changed.send(None, kind=kind, ids=ids)


def kind_of(obj: Any) -> str:
    for kind, model in KINDS.items():
        if isinstance(obj, model):
            return kind
    return ""


def check_replacement(policy: Policy, replacement_id: int | None) -> list[str]:
    """Why the policy ``replacement_id`` cannot replace ``policy``, as Chinese sentences.

    Empty when it can (or when ``replacement_id`` is None: no replacement). Refused: the policy
    itself, a policy that does not exist, and a link that would close a loop (the replacement
    is already, directly or through others, replaced by ``policy``).
    """
    if replacement_id is None:
        return []
    if policy.id is not None and replacement_id == policy.id:
        return [_("文件不能被它自己替代。")]
    replacement = db.session.get(Policy, replacement_id)
    if replacement is None:
        return [_("所选的替代文件不存在。")]
    seen: set[int] = set()
    current: Policy | None = replacement
    while current is not None and current.id not in seen:
        if policy.id is not None and current.replaced_by_id == policy.id:
            return [_("不能循环替代：《%(title)s》已经（直接或间接）被本文件替代。",
                      title=replacement.title)]
        seen.add(current.id)
        current = current.replaced_by
    return []
