"""Read helpers for the citizen pages: plain arguments in, model objects out.

Kept apart from ``services`` (which writes) so the kiosk views stay thin and never build
queries themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from content.models import (
    Agency,
    CatalogItem,
    Category,
    Interpretation,
    Notice,
    Policy,
    ServiceGuide,
)
from hall.extensions import db


def policy_or_none(policy_id: int) -> Policy | None:
    """One policy with its attachments and interpretations, or None."""
    return db.session.scalar(
        select(Policy)
        .where(Policy.id == policy_id)
        .options(selectinload(Policy.attachments), selectinload(Policy.interpretations))
    )


def interpretation_or_none(interpretation_id: int) -> Interpretation | None:
    return db.session.get(Interpretation, interpretation_id)


def guide_or_none(guide_id: int) -> ServiceGuide | None:
    return db.session.get(ServiceGuide, guide_id)


def notice_or_none(notice_id: int) -> Notice | None:
    return db.session.get(Notice, notice_id)


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
    """Years that have at least one policy, newest first, for the year filter."""
    dates = db.session.scalars(select(Policy.issued_on).distinct()).all()
    return sorted({d.year for d in dates}, reverse=True)


def interpretations(limit: int = 50, offset: int = 0) -> Sequence[Interpretation]:
    return db.session.scalars(
        select(Interpretation)
        .order_by(Interpretation.published_on.desc(), Interpretation.id.desc())
        .limit(limit).offset(offset)
    ).all()


def guides(limit: int = 100, offset: int = 0) -> Sequence[ServiceGuide]:
    return db.session.scalars(
        select(ServiceGuide).order_by(ServiceGuide.title, ServiceGuide.id)
        .limit(limit).offset(offset)
    ).all()


def recent_notices(today: dt.date | None = None, limit: int = 50) -> Sequence[Notice]:
    """Notices not yet expired (as of ``today``), newest first."""
    query = select(Notice).order_by(Notice.published_on.desc(), Notice.id.desc()).limit(limit)
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
