"""Per-section checks of content bundle rows: fields, lengths, enums and references.

Each ``check_*`` reads one row through a :class:`RowChecker` and returns the row's natural
key (two rows with the same key in one bundle are refused).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from content.models import (
    Agency,
    Attachment,
    CatalogItem,
    Category,
    Interpretation,
    InterpretationKind,
    Notice,
    Policy,
    PubStatus,
    ServiceGuide,
    Validity,
)
from content.schedule import check_publication
from content.transfer_rows import Known, PolicyKey, RowChecker, RowError

AGENCY_KINDS = ("government", "department", "town")
CHANNELS = ("政府网站", "政府公报", "两微一端", "发布会/听证会", "广播电视", "纸质媒体",
            "公开查阅点", "政务服务中心", "便民服务站", "入户/现场", "社区/村公示栏（电子屏）",
            "精准推送", "其他")
AUDIENCES = ("全社会", "特定群体")
MODES = ("主动", "依申请")
TIERS = ("县级", "乡级")
#: Publication states as files may write them: the stored value, or its Chinese name.
STATUS_NAMES: dict[str, PubStatus] = {
    **{s.value: s for s in PubStatus},
    "草稿": PubStatus.DRAFT, "定时发布": PubStatus.SCHEDULED, "已发布": PubStatus.PUBLISHED,
    "已撤回": PubStatus.WITHDRAWN,
}
PUBLICATION_FIELDS = ("status", "publish_at", "expire_at")

def _media_name(check: RowChecker, key: str, column: Any) -> None:
    name = check.text(key, column)
    if name and ("/" in name or "\\" in name or name.startswith(".")):
        check.bad(key, name, _("不是文件名（不能含路径）"))
        check.clean.pop(key, None)


def check_agency(check: RowChecker, known: Known) -> str | None:
    check.only(("name", "kind", "region"))
    check.choice("kind", AGENCY_KINDS)
    check.text("region", Agency.region)
    return check.text("name", Agency.name, required=True)


def check_category(check: RowChecker, known: Known) -> str | None:
    check.only(("code", "name", "parent", "position"))
    check.text("name", Category.name, required=True)
    check.integer("position")
    check.text("parent", Category.code, nullable=True)
    return check.text("code", Category.code, required=True)


def check_category_parent(check: RowChecker, known: Known) -> None:
    """Second pass, once every code of the bundle is known: parents exist and are 一级."""
    parent = check.clean.get("parent")
    code = check.clean.get("code")
    if not parent:
        return
    if parent not in known.categories:
        check.bad("parent", parent, _("不是已有的分类编码"))
    elif parent == code or known.categories[parent] is not None:
        check.bad("parent", parent, _("不是一级分类（分类只有两级）"))


def _agency_ref(check: RowChecker, key: str, known: Known, *, required: bool) -> None:
    name = check.text(key, Agency.name, required=required, nullable=True)
    if name and name not in known.agencies:
        check.bad(key, name, _("不是已有的机构（请先在“agencies”中列出）"))


def _category_ref(check: RowChecker, known: Known, *, required: bool = False) -> None:
    code = check.text("category", Category.code, required=required, nullable=True)
    if code and code not in known.categories:
        check.bad("category", code, _("不是已有的分类编码"))


def _ref(check: RowChecker) -> str | None:
    return check.text("ref", None)


def _publication(check: RowChecker) -> None:
    """``status``, ``publish_at``, ``expire_at``: each valid, and together consistent.

    Absent, a new row is published and an updated one keeps its state. The clock is not
    consulted: a schedule that has passed since the export is applied on arrival.
    """
    before = len(check.errors)
    name = check.choice("status", tuple(STATUS_NAMES))
    if name is not None:
        check.clean["status"] = STATUS_NAMES[name]
    publish_at = check.moment("publish_at")
    expire_at = check.moment("expire_at")
    if len(check.errors) > before:
        return  # a field is already reported as bad
    status = check.clean.get("status", PubStatus.PUBLISHED)
    for message in check_publication(status, publish_at, expire_at, None):
        check.fail("status", _("第 %(row)s 行：%(message)s", row=check.row, message=message))


def _replaced_by(check: RowChecker, known: Known, own: PolicyKey | None) -> None:
    if "replaced_by" not in check.data:
        return
    before = len(check.errors)
    name = check.text("replaced_by", Policy.title, nullable=True)
    if own is None or len(check.errors) > before:
        check.clean.pop("replaced_by", None)
        return  # the row's own title or this field is already reported as bad
    target: PolicyKey | None = None
    if name is not None:
        matches = known.policies_named(name)
        if not matches:
            check.bad("replaced_by", name, _("既不是已有政策的文号，也不是已有政策的标题"))
        elif len(matches) > 1:
            check.bad("replaced_by", name, _("对应多份政策，请改填能唯一确定的文号或完整标题"))
        elif matches[0] == own:
            check.bad("replaced_by", name, _("是本文件自己（文件不能被它自己替代）"))
        else:
            target = matches[0]
        if target is None:
            check.clean.pop("replaced_by", None)
            return
    check.clean["replaced_by"] = target
    known.replacing[own] = (check.row, target)


def check_replacement_loops(known: Known, errors: list[RowError]) -> None:
    """Once every policy row is read: no replaced-by link may lead back to its own policy,
    through the bundle's links or those already in the database."""
    links = dict(known.policy_links)
    for key, (_row, target) in known.replacing.items():
        if target is None:
            links.pop(key, None)
        else:
            links[key] = target
    for key, (row, target) in known.replacing.items():
        seen: set[PolicyKey] = set()
        current = target
        while current is not None and current not in seen:
            if current == key:
                errors.append(RowError("policies", row, "replaced_by", _(
                    "第 %(row)s 行：替代文件“%(name)s”会形成循环替代（它已直接或间接被本文件替代）",
                    row=row, name=target[0] if target else "")))
                break
            seen.add(current)
            current = links.get(current)


def check_policy(check: RowChecker, known: Known) -> tuple[str, str] | None:
    check.only(("ref", "title", "doc_number", "issuer", "category", "issued_on", "effective_on",
                "validity", "summary", "body_html", "source_url", "attachments", "replaced_by",
                *PUBLICATION_FIELDS))
    _ref(check)
    title = check.text("title", Policy.title, required=True)
    doc_number = check.text("doc_number", Policy.doc_number) or ""
    _agency_ref(check, "issuer", known, required=True)
    _category_ref(check, known)
    check.date("issued_on", required=True)
    check.date("effective_on")
    check.choice("validity", tuple(v.value for v in Validity))
    check.text("summary")
    check.text("body_html")
    check.text("source_url", Policy.source_url)
    attachments = check.data.get("attachments")
    if attachments not in (None, ""):
        if not isinstance(attachments, list):
            check.bad("attachments", attachments, _("应为列表"))
        else:
            check.clean["attachments"] = [_check_attachment(check, a) for a in attachments]
    _publication(check)
    own = (title, doc_number) if title else None
    _replaced_by(check, known, own)
    return own


def _check_attachment(check: RowChecker, data: Any) -> dict[str, Any]:
    sub = RowChecker(check.section, check.row, data, check.errors)
    sub.only(("title", "filename", "media_type"))
    sub.text("title", Attachment.title, required=True)
    sub.text("media_type", Attachment.media_type)
    if sub.data.get("filename") in (None, ""):
        sub.missing("filename")
    _media_name(sub, "filename", Attachment.filename)
    return sub.clean


def check_interpretation(check: RowChecker, known: Known) -> tuple[str, Any] | None:
    check.only(("ref", "policy", "title", "kind", "author", "body_html", "image", "image_alt",
                "video", "published_on", *PUBLICATION_FIELDS))
    _ref(check)
    policy = check.text("policy", None, nullable=True)
    if policy and policy not in known.policy_refs and policy not in known.policy_titles:
        check.bad("policy", policy, _("既不是本文件中政策的引用标识，也不是已有政策的标题"))
    title = check.text("title", Interpretation.title, required=True)
    check.choice("kind", tuple(k.value for k in InterpretationKind))
    check.text("author", Interpretation.author)
    check.text("body_html")
    _media_name(check, "image", Interpretation.image)
    check.text("image_alt")
    _media_name(check, "video", Interpretation.video)
    published = check.date("published_on", required=True)
    _publication(check)
    return (title, published) if title and published else None


def check_guide(check: RowChecker, known: Known) -> tuple[str, str] | None:
    check.only(("ref", "title", "agency", "category", "basis", "conditions", "materials", "steps",
                "time_limit", "fee", "place", "hours", "phone", *PUBLICATION_FIELDS))
    _ref(check)
    title = check.text("title", ServiceGuide.title, required=True)
    _agency_ref(check, "agency", known, required=True)
    _category_ref(check, known)
    check.text("basis")
    check.text("conditions")
    check.materials("materials")
    check.str_list("steps")
    for key in ("time_limit", "fee", "place", "hours", "phone"):
        check.text(key, getattr(ServiceGuide, key))
    _publication(check)
    agency = check.clean.get("agency")
    return (title, agency) if title and agency else None


def check_notice(check: RowChecker, known: Known) -> tuple[str, Any] | None:
    check.only(("ref", "title", "agency", "body_html", "published_on", "expires_on",
                *PUBLICATION_FIELDS))
    _ref(check)
    title = check.text("title", Notice.title, required=True)
    _agency_ref(check, "agency", known, required=False)
    check.text("body_html")
    published = check.date("published_on", required=True)
    expires = check.date("expires_on")
    if published and expires and expires < published:
        check.bad("expires_on", expires.isoformat(), _("早于发布日期"))
    _publication(check)
    return (title, published) if title and published else None


def check_catalog(check: RowChecker, known: Known) -> tuple[str, int] | None:
    check.only(("seq", "category", "content", "basis", "time_limit", "subject", "channels",
                "audience", "mode", "tier"))
    seq = check.integer("seq", required=True, minimum=1)
    _category_ref(check, known, required=True)
    check.text("content", required=True)
    check.text("basis")
    check.text("time_limit", CatalogItem.time_limit)
    check.text("subject", CatalogItem.subject)
    check.str_list("channels", CHANNELS)
    check.choice("audience", AUDIENCES)
    check.choice("mode", MODES)
    check.choice("tier", TIERS)
    category = check.clean.get("category")
    return (category, seq) if category and seq else None


#: section -> check function returning the row's natural key (duplicates are refused).
CHECKS: dict[str, Callable[[RowChecker, Known], Any]] = {
    "agencies": check_agency, "categories": check_category, "policies": check_policy,
    "interpretations": check_interpretation, "guides": check_guide, "notices": check_notice,
    "catalog": check_catalog,
}
