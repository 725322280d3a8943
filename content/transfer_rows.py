"""Row checks for content bundles: every field of every row, with a Chinese reason per fault.

Pure apart from the translations: the caller hands in what the database already holds
(:class:`Known`), so a whole bundle is judged before anything is written. Times are ISO 8601
(``content.schedule.parse_time``: an offset, or none for Beijing time).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from content.schedule import parse_time
from hall.text import clean

#: Bundle sections in the order they are written (references point backwards).
SECTIONS = ("agencies", "categories", "policies", "interpretations", "guides", "notices",
            "catalog")
SECTION_LABELS = {
    "agencies": _l("发布机构"), "categories": _l("事项分类"), "policies": _l("政策文件"),
    "interpretations": _l("政策解读"), "guides": _l("办事指南"), "notices": _l("通知公告"),
    "catalog": _l("公开目录"),
}
FIELD_LABELS = {
    "name": _l("名称"), "kind": _l("类型"), "region": _l("地区"), "code": _l("编码"),
    "parent": _l("上级编码"), "position": _l("排序"), "ref": _l("引用标识"), "title": _l("标题"),
    "doc_number": _l("文号"), "issuer": _l("发文机关"), "category": _l("分类编码"),
    "issued_on": _l("发布日期"), "effective_on": _l("施行日期"), "validity": _l("效力状态"),
    "summary": _l("摘要"), "body_html": _l("正文"), "source_url": _l("来源网址"),
    "attachments": _l("附件"), "filename": _l("文件名"), "media_type": _l("文件类型"),
    "policy": _l("所属政策"), "author": _l("作者"), "image": _l("图片"),
    "image_alt": _l("图片说明"), "video": _l("视频"), "published_on": _l("发布日期"),
    "agency": _l("机构"), "basis": _l("依据"), "conditions": _l("受理条件"),
    "materials": _l("申请材料"), "steps": _l("办理流程"), "time_limit": _l("时限"),
    "fee": _l("收费标准"), "place": _l("办理地点"), "hours": _l("办理时间"),
    "phone": _l("咨询电话"), "expires_on": _l("截止日期"), "seq": _l("序号"),
    "content": _l("公开内容"), "subject": _l("公开主体"), "channels": _l("公开渠道"),
    "audience": _l("公开对象"), "mode": _l("公开方式"), "tier": _l("公开层级"),
    "status": _l("发布状态"), "publish_at": _l("发布时间"), "expire_at": _l("下线时间"),
    "replaced_by": _l("替代文件"),
}
MAX_INT = 2**31 - 1  # INTEGER columns on PostgreSQL
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LIST_SPLIT = re.compile(r"[；;]")
_MATERIAL = re.compile(r"^(.+?)\s*[×xX*＊]\s*(\d+)\s*$")


@dataclass(frozen=True)
class RowError:
    """One fault: ``row`` is 1-based within its section (0 = the file or section itself)."""

    section: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        if self.section not in SECTION_LABELS:
            return self.message
        return f"〔{SECTION_LABELS[self.section]}〕{self.message}"


#: A policy as an import names it: (title, 文号); the pair an import updates by.
PolicyKey = tuple[str, str]


@dataclass
class Known:
    """What references may point at: the database's names plus the bundle's own."""

    agencies: set[str] = field(default_factory=set)
    categories: dict[str, str | None] = field(default_factory=dict)  # code -> parent code
    policy_titles: set[str] = field(default_factory=set)
    policy_refs: set[str] = field(default_factory=set)
    policy_keys: set[PolicyKey] = field(default_factory=set)
    #: replaced-by links already in the database
    policy_links: dict[PolicyKey, PolicyKey] = field(default_factory=dict)
    #: replaced-by links the bundle sets: policy -> (its row, the replacement or None)
    replacing: dict[PolicyKey, tuple[int, PolicyKey | None]] = field(default_factory=dict)
    _by_name: dict[tuple[int, str], list[PolicyKey]] | None = field(default=None, repr=False)

    def policies_named(self, name: str) -> list[PolicyKey]:
        """Policies a ``replaced_by`` value names: by 文号 first, else by exact title.

        Indexed on first use, once every policy key (database and bundle) is known.
        """
        if self._by_name is None:
            self._by_name = {}
            for key in sorted(self.policy_keys):
                self._by_name.setdefault((0, key[1]), []).append(key)
                self._by_name.setdefault((1, key[0]), []).append(key)
        by_number = self._by_name.get((0, name), []) if name else []
        return by_number or self._by_name.get((1, name), [])


def length_of(column: Any) -> int | None:
    """The declared length of a model column (``Policy.title`` -> 300), None for Text."""
    return getattr(column.property.columns[0].type, "length", None)


def label(key: str) -> str:
    return str(FIELD_LABELS.get(key, key))


class RowChecker:
    """Reads one row's fields, coercing CSV text, and records each fault found."""

    def __init__(self, section: str, row: int, data: Any, errors: list[RowError]) -> None:
        self.section, self.row, self.errors = section, row, errors
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        self.clean: dict[str, Any] = {}
        if not isinstance(data, dict):
            self.fail("", _("第 %(row)s 行：应为一个对象（键值表）", row=row))

    def fail(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.section, self.row, key, message))

    def bad(self, key: str, value: Any, why: str) -> None:
        self.fail(key, _("第 %(row)s 行：%(label)s“%(value)s”%(why)s", row=self.row,
                         label=label(key), value=_show(value), why=why))

    def missing(self, key: str) -> None:
        self.fail(key, _("第 %(row)s 行：缺少%(label)s", row=self.row, label=label(key)))

    def only(self, keys: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in keys and not (key == "" and self.data[key] in ("", None)):
                self.fail(str(key), _("第 %(row)s 行：未知字段“%(key)s”", row=self.row,
                                      key=_show(key)))

    def _raw(self, key: str, required: bool) -> Any:
        value = self.data.get(key)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if required:
                self.missing(key)
            return None
        return value

    def text(self, key: str, column: Any = None, *, required: bool = False,
             nullable: bool = False) -> str | None:
        value = self._raw(key, required)
        if value is None:
            if key in self.data and not required:
                self.clean[key] = None if nullable else ""
            return None
        if not isinstance(value, str):
            self.bad(key, value, _("应为文本"))
            return None
        if "\x00" in value:
            self.fail(key, _("第 %(row)s 行：%(label)s含有空字符，请检查文件",
                             row=self.row, label=label(key)))
            return None
        value = clean(value)  # other controls dropped, CR LF as LF, lone surrogates as U+FFFD
        limit = length_of(column) if column is not None else None
        if limit is not None and len(value) > limit:
            self.fail(key, _("第 %(row)s 行：%(label)s过长（%(count)s 字，最多 %(limit)s 字）",
                             row=self.row, label=label(key), count=len(value), limit=limit))
            return None
        self.clean[key] = value
        return value

    def date(self, key: str, *, required: bool = False) -> dt.date | None:
        value = self._raw(key, required)
        if value is None:
            if key in self.data and not required:
                self.clean[key] = None
            return None
        parsed = None
        if isinstance(value, str) and _DATE.match(value):
            try:
                parsed = dt.date.fromisoformat(value)
            except ValueError:
                parsed = None
        if parsed is None:
            self.bad(key, value, _("不是有效日期（应为 YYYY-MM-DD）"))
            return None
        self.clean[key] = parsed
        return parsed

    def moment(self, key: str) -> dt.datetime | None:
        """An ISO 8601 date-time, kept as aware UTC; without an offset it is Beijing time."""
        value = self._raw(key, False)
        if value is None:
            if key in self.data:
                self.clean[key] = None
            return None
        parsed = parse_time(value) if isinstance(value, str) else None
        if parsed is None:
            self.bad(key, value, _("不是有效时间（应为 ISO 8601，如 2026-12-01T09:00+08:00；"
                                   "不写时区的按北京时间）"))
            return None
        self.clean[key] = parsed
        return parsed

    def integer(self, key: str, *, required: bool = False, minimum: int = 0) -> int | None:
        value = self._raw(key, required)
        if value is None:
            return None
        if isinstance(value, str) and re.fullmatch(r"-?\d{1,12}", value):
            value = int(value)
        if (not isinstance(value, int) or isinstance(value, bool)
                or not minimum <= value <= MAX_INT):
            self.bad(key, value, _("应为 %(min)s 到 %(max)s 之间的整数", min=minimum,
                                   max=MAX_INT))
            return None
        self.clean[key] = value
        return value

    def choice(self, key: str, choices: tuple[str, ...], *, required: bool = False) -> str | None:
        value = self._raw(key, required)
        if value is None:
            return None
        if value not in choices:
            self.bad(key, value, _("不是可选值（可选：%(choices)s）", choices="、".join(choices)))
            return None
        self.clean[key] = value
        return str(value)

    def str_list(self, key: str, choices: tuple[str, ...] = ()) -> list[str] | None:
        value = self._raw(key, False)
        if value is None:
            if key in self.data:
                self.clean[key] = []
            return None
        if isinstance(value, str):
            value = _json_list(value) if value.startswith("[") else [
                part.strip() for part in _LIST_SPLIT.split(value) if part.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.bad(key, value, _("应为文本列表（用“；”分隔）"))
            return None
        for item in value:
            if choices and item not in choices:
                self.bad(key, item, _("不是可选值（可选：%(choices)s）",
                                      choices="、".join(choices)))
                return None
        value = [clean(item, multiline=False) for item in value]
        self.clean[key] = value
        return value

    def materials(self, key: str) -> None:
        value = self._raw(key, False)
        if value is None:
            if key in self.data:
                self.clean[key] = []
            return
        if isinstance(value, str):
            value = _json_list(value) if value.startswith("[") else _parse_materials(value)
        items = []
        for item in value if isinstance(value, list) else [None]:
            if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]:
                copies, note = item.get("copies", 1), item.get("note", "")
                if (isinstance(copies, int) and not isinstance(copies, bool) and copies >= 1
                        and isinstance(note, str)):
                    items.append({"name": clean(item["name"], multiline=False),
                                  "copies": copies, "note": clean(note, multiline=False)})
                    continue
            self.bad(key, item if item is not None else value,
                     _("应为“名称×份数”（用“；”分隔）或 JSON 列表"))
            return
        self.clean[key] = items


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:40] + "…"


def _json_list(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return None


def _parse_materials(value: str) -> list[Any] | None:
    items: list[Any] = []
    for part in _LIST_SPLIT.split(value):
        part = part.strip()
        if not part:
            continue
        match = _MATERIAL.match(part)
        name, copies = (match.group(1).strip(), int(match.group(2))) if match else (part, 1)
        items.append({"name": name, "copies": copies, "note": ""})
    return items
