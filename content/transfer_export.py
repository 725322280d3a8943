"""Export of the database as a content bundle (JSON) or one section as CSV for Excel.

The output is exactly what ``content.transfer.import_bundle`` takes, so an export imported
into an empty database exports again to the same JSON. ``ref``s are made from each row's
place in the export (``policy-1`` ...), not from database ids, for that reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from typing import Any, TextIO

from sqlalchemy import select

from content.models import (
    Agency,
    CatalogItem,
    Category,
    Interpretation,
    Notice,
    Policy,
    ServiceGuide,
)
from content.schedule import HALL_ZONE
from content.transfer_rows import SECTIONS
from hall.extensions import db

#: Sections that can be a CSV file (attachments are left out of policy CSVs).
CSV_SECTIONS = SECTIONS
PUBLICATION = ("status", "publish_at", "expire_at")
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "agencies": ("name", "kind", "region"),
    "categories": ("code", "name", "parent", "position"),
    "policies": ("ref", "title", "doc_number", "issuer", "category", "issued_on", "effective_on",
                 "validity", "summary", "body_html", "source_url", *PUBLICATION, "replaced_by"),
    "interpretations": ("ref", "policy", "title", "kind", "author", "body_html", "image",
                        "image_alt", "video", "published_on", *PUBLICATION),
    "guides": ("ref", "title", "agency", "category", "basis", "conditions", "materials", "steps",
               "time_limit", "fee", "place", "hours", "phone", *PUBLICATION),
    "notices": ("ref", "title", "agency", "body_html", "published_on", "expires_on",
                *PUBLICATION),
    "catalog": ("seq", "category", "content", "basis", "time_limit", "subject", "channels",
                "audience", "mode", "tier"),
}


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _code(category: Category | None) -> str | None:
    return category.code if category else None


def _moment(value: dt.datetime | None) -> str | None:
    """ISO 8601 in Beijing time with its offset (``2026-12-01T09:00:00+08:00``)."""
    return value.astimezone(HALL_ZONE).isoformat() if value else None


def _publication(obj: Any) -> dict[str, Any]:
    return {"status": obj.status.value, "publish_at": _moment(obj.publish_at),
            "expire_at": _moment(obj.expire_at)}


def _all(model: Any) -> list[Any]:
    return list(db.session.scalars(select(model).order_by(model.id)))


def export_bundle(sections: Iterable[str] | None = None) -> dict[str, Any]:
    """The database (or only ``sections``) as a bundle dict, ready for ``json.dump``.

    :raises ValueError: for a section name that is not one of ``SECTIONS``.
    """
    wanted = list(SECTIONS if sections is None else sections)
    unknown = [s for s in wanted if s not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown section(s): {', '.join(unknown)}")
    refs = {p.id: f"policy-{n}" for n, p in enumerate(_all(Policy), start=1)}
    bundle: dict[str, Any] = {"format": "gongkai-content", "version": 1}
    for section in SECTIONS:
        if section in wanted:
            # Interpretations name their policy by ref only when the policies come along.
            use = refs if section == "policies" or "policies" in wanted else {}
            bundle[section] = _ROWS[section](use)
    return bundle


def _agencies(refs: dict[int, str]) -> list[dict[str, Any]]:
    return [{"name": a.name, "kind": a.kind, "region": a.region} for a in _all(Agency)]


def _categories(refs: dict[int, str]) -> list[dict[str, Any]]:
    return [{"code": c.code, "name": c.name, "parent": _code(c.parent), "position": c.position}
            for c in _all(Category)]


def _policies(refs: dict[int, str]) -> list[dict[str, Any]]:
    policies = _all(Policy)
    numbers = Counter(p.doc_number for p in policies)

    def name(policy: Policy | None) -> str | None:
        """How an import finds the replacing policy: its 文号 if no other has it, else title."""
        if policy is None:
            return None
        unique = policy.doc_number and numbers[policy.doc_number] == 1
        return policy.doc_number if unique else policy.title

    return [{
        "ref": refs[p.id], "title": p.title, "doc_number": p.doc_number,
        "issuer": p.issuer.name, "category": _code(p.category),
        "issued_on": _day(p.issued_on), "effective_on": _day(p.effective_on),
        "validity": p.validity.value, "summary": p.summary, "body_html": p.body_html,
        "source_url": p.source_url, **_publication(p), "replaced_by": name(p.replaced_by),
        "attachments": [{"title": a.title, "filename": a.filename, "media_type": a.media_type}
                        for a in p.attachments],
    } for p in policies]


def _interpretations(refs: dict[int, str]) -> list[dict[str, Any]]:
    out = []
    for n, i in enumerate(_all(Interpretation), start=1):
        policy = None
        if i.policy is not None:
            policy = refs.get(i.policy.id, i.policy.title)
        out.append({
            "ref": f"interpretation-{n}", "policy": policy, "title": i.title,
            "kind": i.kind.value, "author": i.author, "body_html": i.body_html,
            "image": i.image, "image_alt": i.image_alt, "video": i.video,
            "published_on": _day(i.published_on), **_publication(i),
        })
    return out


def _guides(refs: dict[int, str]) -> list[dict[str, Any]]:
    return [{
        "ref": f"guide-{n}", "title": g.title, "agency": g.agency.name,
        "category": _code(g.category), "basis": g.basis, "conditions": g.conditions,
        "materials": list(g.materials), "steps": list(g.steps), "time_limit": g.time_limit,
        "fee": g.fee, "place": g.place, "hours": g.hours, "phone": g.phone,
        **_publication(g),
    } for n, g in enumerate(_all(ServiceGuide), start=1)]


def _notices(refs: dict[int, str]) -> list[dict[str, Any]]:
    return [{
        "ref": f"notice-{n}", "title": x.title, "agency": x.agency.name if x.agency else None,
        "body_html": x.body_html, "published_on": _day(x.published_on),
        "expires_on": _day(x.expires_on), **_publication(x),
    } for n, x in enumerate(_all(Notice), start=1)]


def _catalog(refs: dict[int, str]) -> list[dict[str, Any]]:
    return [{
        "seq": c.seq, "category": c.category.code, "content": c.content, "basis": c.basis,
        "time_limit": c.time_limit, "subject": c.subject, "channels": list(c.channels),
        "audience": c.audience, "mode": c.mode, "tier": c.tier,
    } for c in _all(CatalogItem)]


_ROWS = {"agencies": _agencies, "categories": _categories, "policies": _policies,
         "interpretations": _interpretations, "guides": _guides, "notices": _notices,
         "catalog": _catalog}


def export_csv(section: str, stream: TextIO) -> int:
    """Write one section as CSV with a UTF-8 BOM (so Excel shows Chinese); returns rows written.

    ``stream`` should be opened with ``newline=""``. List cells are joined with ``；``
    (as JSON when an item itself holds ``；``); materials as ``名称×份数`` or JSON with notes.
    """
    if section not in CSV_COLUMNS:
        raise ValueError(f"unknown section: {section}")
    rows = export_bundle([section])[section]
    stream.write("\ufeff")
    writer = csv.writer(stream)
    columns = CSV_COLUMNS[section]
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(key, row.get(key)) for key in columns])
    return len(rows)


def _cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "materials":
        if any(m.get("note") or "×" in m["name"] or "；" in m["name"] or ";" in m["name"]
               for m in value):
            return json.dumps(value, ensure_ascii=False)
        return "；".join(f"{m['name']}×{m['copies']}" for m in value)
    if isinstance(value, list):
        if any("；" in v or ";" in v for v in value) or any(v.startswith("[") for v in value[:1]):
            return json.dumps(value, ensure_ascii=False)
        return "；".join(value)
    return str(value)
