"""Read helpers for the citizen pages: plain arguments in, model objects out.

Kept apart from ``services`` (which writes) so the kiosk views stay thin and never build
queries themselves. Every read here returns only ``published`` items: drafts, scheduled and
withdrawn content never reaches a citizen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from content.models import (
    Agency,
    CatalogItem,
    Category,
    Interpretation,
    Notice,
    Policy,
    PubStatus,
    ServiceGuide,
)
from hall.extensions import db

PUBLISHED = PubStatus.PUBLISHED
#: How far a chain of replacements is followed (links are checked for loops when set).
MAX_REPLACEMENT_CHAIN = 20

_T = TypeVar("_T")


def published(obj: _T | None) -> _T | None:
    """The object if it is published, else None (for a linked object a page wants to show)."""
    status: Any = getattr(obj, "status", None)
    return obj if status == PUBLISHED else None


def policy_or_none(policy_id: int) -> Policy | None:
    """One published policy with its attachments, or None."""
    return db.session.scalar(
        select(Policy)
        .where(Policy.id == policy_id, Policy.status == PUBLISHED)
        .options(selectinload(Policy.attachments))
    )


def policy_interpretations(policy: Policy) -> Sequence[Interpretation]:
    """The published interpretations of a policy, oldest first."""
    return db.session.scalars(
        select(Interpretation)
        .where(Interpretation.policy_id == policy.id, Interpretation.status == PUBLISHED)
        .order_by(Interpretation.published_on, Interpretation.id)
    ).all()


def replacement_of(policy: Policy) -> Policy | None:
    """The published policy that replaces this one, or None.

    Follows the chain past replacements that are not published (a withdrawn 2019 rule
    replaced in turn by a 2024 one leads to 2024), never round a loop.
    """
    seen = {policy.id}
    current = policy.replaced_by
    while current is not None and current.id not in seen and len(seen) <= MAX_REPLACEMENT_CHAIN:
        if current.status == PUBLISHED:
            return current
        seen.add(current.id)
        current = current.replaced_by
    return None


def interpretation_or_none(interpretation_id: int) -> Interpretation | None:
    return db.session.scalar(select(Interpretation).where(
        Interpretation.id == interpretation_id, Interpretation.status == PUBLISHED))


def guide_or_none(guide_id: int) -> ServiceGuide | None:
    return db.session.scalar(select(ServiceGuide).where(
        ServiceGuide.id == guide_id, ServiceGuide.status == PUBLISHED))


def notice_or_none(notice_id: int) -> Notice | None:
    return db.session.scalar(select(Notice).where(
        Notice.id == notice_id, Notice.status == PUBLISHED))


def category_or_none(category_id: int) -> Category | None:
    return db.session.get(Category, category_id)


def categories_tree() -> Sequence[Category]:
    """一级 categories in display order; their 二级 children load with them."""
    return db.session.scalars(
        select(Category)
        .where(Category.parent_id.is_(None))
        .order_by(Category.position, Category.code)
        .options(selectinload(Category.children))
    ).all()


def agencies() -> Sequence[Agency]:
    """Issuing bodies, for the search filter."""
    return db.session.scalars(select(Agency).order_by(Agency.kind, Agency.name)).all()


def policy_years() -> list[int]:
    """Years that have at least one published policy, newest first, for the year filter."""
    dates = db.session.scalars(
        select(Policy.issued_on).where(Policy.status == PUBLISHED).distinct()).all()
    return sorted({d.year for d in dates}, reverse=True)


def interpretations(limit: int = 50, offset: int = 0) -> Sequence[Interpretation]:
    return db.session.scalars(
        select(Interpretation)
        .where(Interpretation.status == PUBLISHED)
        .order_by(Interpretation.published_on.desc(), Interpretation.id.desc())
        .limit(limit).offset(offset)
    ).all()


def guides(limit: int = 100, offset: int = 0) -> Sequence[ServiceGuide]:
    return db.session.scalars(
        select(ServiceGuide).where(ServiceGuide.status == PUBLISHED)
        .order_by(ServiceGuide.title, ServiceGuide.id)
        .limit(limit).offset(offset)
    ).all()


def recent_notices(today: dt.date | None = None, limit: int = 50) -> Sequence[Notice]:
    """Published notices not yet expired (as of ``today``), newest first."""
    query = (select(Notice).where(Notice.status == PUBLISHED)
             .order_by(Notice.published_on.desc(), Notice.id.desc()).limit(limit))
    if today is not None:
        query = query.where(or_(Notice.expires_on.is_(None), Notice.expires_on >= today))
    return db.session.scalars(query).all()


@dataclass
class CatalogGroup:
    """One 一级 category with its 二级 categories and their catalog items."""

    category: Category
    sections: list[tuple[Category, list[CatalogItem]]] = field(default_factory=list)


def catalog_groups() -> list[CatalogGroup]:
    """The 事项标准目录 grouped by 一级 / 二级 category, in catalog order."""
    items = db.session.scalars(
        select(CatalogItem).order_by(CatalogItem.seq, CatalogItem.id)
    ).all()
    by_category: dict[int, list[CatalogItem]] = {}
    for item in items:
        by_category.setdefault(item.category_id, []).append(item)
    groups = []
    for top in categories_tree():
        group = CatalogGroup(top)
        for child in [top, *top.children]:
            if child.id in by_category:
                group.sections.append((child, by_category[child.id]))
        if group.sections:
            groups.append(group)
    return groups
