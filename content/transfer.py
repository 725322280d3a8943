"""Import and export of content bundles (JSON, or CSV per section): all rows or none.

An import first checks every row of every section (``content.transfer_rows``) against the
bundle and the database; one fault anywhere rejects the whole file and nothing is written.
A clean bundle is written in one transaction, committed once, then announced so the search
index follows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from content.models import (
    Agency,
    Attachment,
    CatalogItem,
    Category,
    Interpretation,
    Notice,
    Policy,
    ServiceGuide,
)
from content.services import announce_changed, apply_fields
from content.transfer_checks import CHECKS, check_category_parent, check_replacement_loops
from content.transfer_export import CSV_SECTIONS, export_bundle, export_csv
from content.transfer_rows import (
    SECTION_LABELS,
    SECTIONS,
    Known,
    PolicyKey,
    RowChecker,
    RowError,
)
from hall.extensions import db

__all__ = ["CSV_SECTIONS", "SECTIONS", "ImportRejected", "ImportReport", "RowError",
           "count_rows", "export_bundle", "export_csv", "import_bundle", "load_file"]

FORMAT = "gongkai-content"
VERSION = 1
MEDIA_DIR = Path(__file__).parent / "data" / "media"


@dataclass
class ImportReport:
    """What an import did (or, rejected, why not); counts are per section."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> str:
        if self.errors:
            return _("导入被拒绝：发现 %(count)s 处错误，未写入任何数据。", count=len(self.errors))
        parts = [_("新增 %(label)s %(count)s 条", label=SECTION_LABELS[s], count=n)
                 for s, n in self.created.items() if n]
        parts += [_("更新 %(label)s %(count)s 条", label=SECTION_LABELS[s], count=n)
                  for s, n in self.updated.items() if n]
        done = "；".join(parts) if parts else _("没有内容需要写入")
        if self.dry_run:
            return _("试导入（未写入）：%(done)s。", done=done)
        text = _("导入完成：%(done)s。", done=done)
        if self.updated.get("policies"):
            text += _("标题与文号都相同的已有政策已更新，未重复新增。")
        return text


class ImportRejected(Exception):
    """The bundle was refused; ``report.errors`` names every bad row and field."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.summary())
        self.report = report


def _reject(message: str, section: str = "", field_: str = "") -> ImportRejected:
    return ImportRejected(ImportReport(errors=[RowError(section, 0, field_, message)]))


def count_rows(bundle: dict[str, Any]) -> int:
    """Rows an import will write (for a progress bar's length)."""
    return sum(len(bundle[s]) for s in SECTIONS if isinstance(bundle.get(s), list))


def import_bundle(bundle: dict[str, Any], *, progress: Callable[[int], None] | None = None,
                  dry_run: bool = False) -> ImportReport:
    """Check then write a whole bundle; ``progress(n)`` is told of each ``n`` rows written.

    :param dry_run: check and write inside the transaction, then roll back.
    :raises ImportRejected: when any row is bad; nothing is written then.
    """
    report = ImportReport(dry_run=dry_run)
    rows = _check_bundle(bundle, report.errors)
    if report.errors:
        raise ImportRejected(report)
    try:
        written = _Writer(report, progress).write(rows)
        if dry_run:
            db.session.rollback()
            return report
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        detail = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
        raise _reject(_("数据库拒绝了导入，未写入任何数据：%(detail)s", detail=detail)) from exc
    announce_changed(written)
    return report


def _check_bundle(bundle: Any, errors: list[RowError]) -> dict[str, list[dict[str, Any]]]:
    """Check every row; returns each section's cleaned rows (meaningful only without errors)."""
    if not isinstance(bundle, dict):
        errors.append(RowError("", 0, "", _("文件内容应为一个 JSON 对象")))
        return {}
    if bundle.get("format", FORMAT) != FORMAT or bundle.get("version", VERSION) != VERSION:
        errors.append(RowError("", 0, "format", _(
            "不是本系统的内容文件（应为 format “%(format)s”，version %(version)s）",
            format=FORMAT, version=VERSION)))
        return {}
    for key in bundle:
        if key not in SECTIONS and key not in ("format", "version"):
            errors.append(RowError("", 0, key, _("未知的部分“%(key)s”", key=key)))
    known = _known_from_database()
    sections: dict[str, list[Any]] = {}
    for section in SECTIONS:
        value = bundle.get(section) or []
        if not isinstance(value, list):
            errors.append(RowError(section, 0, "", _("“%(key)s”应为列表", key=section)))
            value = []
        sections[section] = value
    for data in sections["agencies"]:
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            known.agencies.add(data["name"].strip())
    for data in sections["categories"]:
        if isinstance(data, dict) and isinstance(data.get("code"), str):
            parent = data.get("parent")
            known.categories[data["code"].strip()] = (
                parent.strip() or None if isinstance(parent, str) else None)
    for data in sections["policies"]:
        if isinstance(data, dict):
            for key, into in (("ref", known.policy_refs), ("title", known.policy_titles)):
                if isinstance(data.get(key), str) and data[key].strip():
                    into.add(data[key].strip())
            title, number = data.get("title"), data.get("doc_number") or ""
            if isinstance(title, str) and title.strip() and isinstance(number, str):
                known.policy_keys.add((title.strip(), number.strip()))
    cleaned: dict[str, list[dict[str, Any]]] = {}
    for section in SECTIONS:
        cleaned[section] = _check_section(section, sections[section], known, errors)
    check_replacement_loops(known, errors)
    return cleaned


def _check_section(section: str, rows: list[Any], known: Known,
                   errors: list[RowError]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen_keys: dict[Any, int] = {}
    seen_refs: dict[str, int] = {}
    for number, data in enumerate(rows, start=1):
        check = RowChecker(section, number, data, errors)
        if not isinstance(data, dict):
            continue
        key = CHECKS[section](check, known)
        if section == "categories":
            check_category_parent(check, known)
        if key is not None:
            if key in seen_keys:
                check.fail("", _("第 %(row)s 行：与第 %(first)s 行重复", row=number,
                                 first=seen_keys[key]))
            seen_keys.setdefault(key, number)
        ref = check.clean.get("ref")
        if ref:
            if ref in seen_refs:
                check.fail("ref", _("第 %(row)s 行：引用标识“%(ref)s”与第 %(first)s 行重复",
                                    row=number, ref=ref, first=seen_refs[ref]))
            seen_refs.setdefault(ref, number)
        out.append(check.clean)
    return out


def _known_from_database() -> Known:
    known = Known()
    known.agencies.update(db.session.scalars(select(Agency.name)))
    parents = {c.id: c.code for c in db.session.scalars(select(Category))}
    for category in db.session.scalars(select(Category)):
        known.categories[category.code] = parents.get(category.parent_id)  # type: ignore[arg-type]
    policies = db.session.execute(
        select(Policy.id, Policy.title, Policy.doc_number, Policy.replaced_by_id)).all()
    keys = {p.id: (p.title, p.doc_number or "") for p in policies}
    known.policy_titles.update(title for title, _number in keys.values())
    known.policy_keys.update(keys.values())
    known.policy_links.update((keys[p.id], keys[p.replaced_by_id]) for p in policies
                              if p.replaced_by_id in keys)
    return known


class _Writer:
    """Writes checked rows into the session (no commit), counting what it creates/updates."""

    def __init__(self, report: ImportReport, progress: Callable[[int], None] | None) -> None:
        self.report, self.progress = report, progress
        self.agencies: dict[str, Agency] = {}
        self.categories: dict[str, Category] = {}
        self.policy_refs: dict[str, Policy] = {}
        self.policy_titles: dict[str, Policy] = {}
        self.policy_keys: dict[PolicyKey, Policy] = {}
        self.replacing: list[tuple[Policy, PolicyKey | None]] = []
        self.written: list[Any] = []

    def write(self, rows: dict[str, list[dict[str, Any]]]) -> list[Any]:
        self.agencies = {a.name: a for a in db.session.scalars(select(Agency))}
        self.categories = {c.code: c for c in db.session.scalars(select(Category))}
        for section in SECTIONS:
            self.report.created[section] = self.report.updated[section] = 0
            for row in rows.get(section, []):
                getattr(self, f"_{section}")(row)
                if self.progress:
                    self.progress(1)
            if section == "categories":
                for row in rows[section]:
                    if "parent" in row:
                        parent = self.categories.get(row["parent"] or "")
                        self.categories[row["code"]].parent = parent
            if section == "policies":
                for policy, target in self.replacing:
                    policy.replaced_by = self._policy(target) if target else None
            db.session.flush()
        return self.written

    def _count(self, section: str, obj: Any) -> Any:
        bucket = self.report.updated if obj is not None else self.report.created
        bucket[section] += 1
        return obj

    def _fields(self, row: dict[str, Any], *skip: str) -> dict[str, Any]:
        return {k: v for k, v in row.items() if k not in ("ref", *skip)}

    def _agencies(self, row: dict[str, Any]) -> None:
        agency = self._count("agencies", self.agencies.get(row["name"])) or Agency()
        apply_fields(agency, row)
        db.session.add(agency)
        self.agencies[agency.name] = agency

    def _categories(self, row: dict[str, Any]) -> None:
        category = self._count("categories", self.categories.get(row["code"])) or Category()
        apply_fields(category, self._fields(row, "parent"))
        db.session.add(category)
        self.categories[category.code] = category

    def _resolve(self, row: dict[str, Any], agency_key: str, agency_attr: str) -> dict[str, Any]:
        fields = self._fields(row, agency_key, "category")
        if agency_key in row:
            fields[agency_attr] = self.agencies.get(row[agency_key] or "")
        if "category" in row:
            fields["category"] = self.categories.get(row["category"] or "")
        return fields

    def _policies(self, row: dict[str, Any]) -> None:
        doc_number = row.get("doc_number", "")
        existing = db.session.scalar(select(Policy).where(
            Policy.title == row["title"], Policy.doc_number == doc_number).limit(1))
        policy = self._count("policies", existing) or Policy(doc_number="")
        fields = self._resolve(row, "issuer", "issuer")
        attachments = fields.pop("attachments", None)
        if "replaced_by" in fields:  # linked once every policy of the bundle exists
            self.replacing.append((policy, fields.pop("replaced_by")))
        apply_fields(policy, fields)
        if attachments is not None:
            policy.attachments = [self._attachment(a) for a in attachments]
        db.session.add(policy)
        if row.get("ref"):
            self.policy_refs[row["ref"]] = policy
        self.policy_titles[policy.title] = policy
        self.policy_keys[(policy.title, policy.doc_number or "")] = policy
        self.written.append(policy)

    def _policy(self, key: PolicyKey) -> Policy | None:
        """The policy of that (title, 文号): one of the bundle's, else the database's."""
        return self.policy_keys.get(key) or db.session.scalar(
            select(Policy).where(Policy.title == key[0], Policy.doc_number == key[1])
            .order_by(Policy.id).limit(1))

    def _attachment(self, data: dict[str, Any]) -> Attachment:
        attachment = apply_fields(Attachment(), data)
        path = self._media(data["filename"])
        attachment.size = path.stat().st_size if path else 0
        return attachment

    def _media(self, name: str) -> Path | None:
        for folder in (Path(current_app.instance_path) / "media", MEDIA_DIR):
            if (folder / name).is_file():
                return folder / name
        self.report.warnings.append(_("媒体文件“%(name)s”未找到（已查找实例 media/ 与 "
                                      "content/data/media/）", name=name))
        return None

    def _interpretations(self, row: dict[str, Any]) -> None:
        existing = db.session.scalar(select(Interpretation).where(
            Interpretation.title == row["title"],
            Interpretation.published_on == row["published_on"]).limit(1))
        item = self._count("interpretations", existing) or Interpretation()
        fields = self._fields(row, "policy")
        if "policy" in row:
            ref = row["policy"] or ""
            fields["policy"] = (self.policy_refs.get(ref) or self.policy_titles.get(ref)
                                or (db.session.scalar(select(Policy).where(Policy.title == ref)
                                                      .order_by(Policy.id).limit(1))
                                    if ref else None))
        for key in ("image", "video"):
            if row.get(key):
                self._media(row[key])
        db.session.add(apply_fields(item, fields))
        self.written.append(item)

    def _guides(self, row: dict[str, Any]) -> None:
        agency = self.agencies[row["agency"]]
        existing = db.session.scalar(select(ServiceGuide).where(
            ServiceGuide.title == row["title"], ServiceGuide.agency == agency).limit(1))
        guide = self._count("guides", existing) or ServiceGuide()
        db.session.add(apply_fields(guide, self._resolve(row, "agency", "agency")))
        self.written.append(guide)

    def _notices(self, row: dict[str, Any]) -> None:
        existing = db.session.scalar(select(Notice).where(
            Notice.title == row["title"], Notice.published_on == row["published_on"]).limit(1))
        notice = self._count("notices", existing) or Notice()
        db.session.add(apply_fields(notice, self._resolve(row, "agency", "agency")))
        self.written.append(notice)

    def _catalog(self, row: dict[str, Any]) -> None:
        category = self.categories[row["category"]]
        existing = db.session.scalar(select(CatalogItem).where(
            CatalogItem.category == category, CatalogItem.seq == row["seq"]).limit(1))
        item = self._count("catalog", existing) or CatalogItem()
        db.session.add(apply_fields(item, self._resolve(row, "", "")))


def load_file(path: str | Path, section: str | None = None) -> dict[str, Any]:
    """Read a ``.json`` bundle or a ``.csv`` of one section into a bundle dict.

    :raises ImportRejected: unreadable, not UTF-8, not JSON/CSV, or a CSV without a section.
    """
    path = Path(path)
    try:
        text = _decode(path.read_bytes())
    except OSError as exc:
        raise _reject(_("无法读取文件“%(name)s”：%(why)s", name=path.name,
                        why=exc.strerror or exc)) from exc
    except UnicodeDecodeError as exc:
        raise _reject(_("文件不是 UTF-8 编码（在 Excel 中请“另存为”CSV UTF-8）")) from exc
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            bundle = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _reject(_("文件不是有效的 JSON（第 %(line)s 行第 %(col)s 列附近：%(why)s）",
                            line=exc.lineno, col=exc.colno, why=exc.msg)) from exc
        if not isinstance(bundle, dict):
            raise _reject(_("文件内容应为一个 JSON 对象"))
        return bundle
    if suffix == ".csv":
        if section not in CSV_SECTIONS:
            raise _reject(_("CSV 文件需要用 --section 指明内容（可选：%(choices)s）",
                            choices="、".join(CSV_SECTIONS)))
        return {"format": FORMAT, "version": VERSION, section: _read_csv(text, section)}
    raise _reject(_("不支持的文件类型“%(suffix)s”（应为 .json 或 .csv）", suffix=suffix))


def _decode(data: bytes) -> str:
    """UTF-8 with or without BOM; a file cut inside a character is read up to the cut, so
    the parser can say it is truncated rather than "not UTF-8"."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.reason != "unexpected end of data" or exc.end != len(data):
            raise
        return data[: exc.start].decode("utf-8-sig")


def _read_csv(text: str, section: str) -> list[dict[str, Any]]:
    if "\x00" in text:
        raise _reject(_("文件不是有效的 CSV（含有二进制内容）"), section)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = [dict(row) for row in reader]
    except csv.Error as exc:
        raise _reject(_("文件不是有效的 CSV：%(why)s", why=str(exc)), section) from exc
    if not reader.fieldnames:
        raise _reject(_("CSV 文件是空的（第一行应为表头）"), section)
    while rows and all(v in ("", None) for v in rows[-1].values()):
        rows.pop()  # Excel leaves blank lines at the end
    for row in rows:
        extra = row.pop(None, None)  # type: ignore[call-overload]
        if extra and any(cell.strip() for cell in extra):
            row["（多余的列）"] = extra
        for key in [k for k, v in row.items() if v is None]:
            del row[key]  # short line: missing cells are absent, not empty
    for key in list(reader.fieldnames):
        if key != key.strip():
            for row in rows:
                if key in row:
                    row[key.strip()] = row.pop(key)
    return rows
