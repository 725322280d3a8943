"""Staff pages for editing content: policies, interpretations, guides, notices and the catalog.

Thin: parse the form (``content.staff_forms``), look up linked rows, write through
``content.services`` (which sanitizes, commits and announces so search follows) with an audit
entry of the old and new values in the same commit, render.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from content import services
from content.markdown import render
from content.models import (
    Agency,
    CatalogItem,
    Category,
    Interpretation,
    MediaFile,
    Notice,
    Policy,
    PubStatus,
    ServiceGuide,
)
from content.schedule import check_publication
from content.staff_forms import (
    MAX_BODY,
    STATUS_LABELS,
    CatalogForm,
    ContentForm,
    GuideForm,
    InterpretationForm,
    NoticeForm,
    PolicyForm,
    policy_label,
)
from hall import audit
from hall.auth import register_nav, role_required, safe_next
from hall.db import utcnow
from hall.extensions import db
from hall.forms import IdSelect, options
from hall.models import Role

bp = Blueprint("content_staff", __name__, url_prefix="/staff/content",
               template_folder="templates")

PAGE_SIZE = 30
MAX_QUERY = 100
#: How many policies the 文号 / 标题 suggestions list (newest first).
POLICY_SUGGESTIONS = 1000


@dataclass(frozen=True)
class KindSpec:
    """What the pages need to know about one kind of content."""

    key: str
    model: type[Any]
    form: type[ContentForm]
    label: Any
    new_label: Any
    search_column: Any
    order: tuple[Any, ...]
    #: A short description of an item for the list (文号, 机关, 日期, …).
    meta: Callable[[Any], str]
    kiosk_endpoint: str = ""
    kiosk_arg: str = ""
    options: tuple[Any, ...] = field(default_factory=tuple)

    @property
    def has_status(self) -> bool:
        return self.model is not CatalogItem

    def title_of(self, obj: Any) -> str:
        text = str(getattr(obj, "title", None) or getattr(obj, "content", ""))
        return text if len(text) <= 80 else text[:80] + "…"


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


KINDS: dict[str, KindSpec] = {spec.key: spec for spec in (
    KindSpec("policy", Policy, PolicyForm, _l("政策文件"), _l("新建政策文件"), Policy.title,
             (Policy.created_at.desc(), Policy.id.desc()),
             lambda p: " · ".join(x for x in (p.doc_number, p.issuer.name if p.issuer else "",
                                              p.validity.value if p.validity else "") if x),
             "kiosk.policy", "policy_id", (selectinload(Policy.issuer),)),
    KindSpec("interpretation", Interpretation, InterpretationForm, _l("政策解读"),
             _l("新建政策解读"), Interpretation.title,
             (Interpretation.created_at.desc(), Interpretation.id.desc()),
             lambda i: " · ".join(x for x in (i.kind.value if i.kind else "",
                                              i.policy.title if i.policy else "") if x),
             "kiosk.interpretation", "interpretation_id", (selectinload(Interpretation.policy),)),
    KindSpec("guide", ServiceGuide, GuideForm, _l("办事指南"), _l("新建办事指南"),
             ServiceGuide.title, (ServiceGuide.created_at.desc(), ServiceGuide.id.desc()),
             lambda g: g.agency.name if g.agency else "",
             "kiosk.guide", "guide_id", (selectinload(ServiceGuide.agency),)),
    KindSpec("notice", Notice, NoticeForm, _l("通知公告"), _l("新建通知公告"), Notice.title,
             (Notice.created_at.desc(), Notice.id.desc()),
             lambda n: " · ".join(x for x in (n.agency.name if n.agency else "",
                                              _date(n.published_on)) if x),
             "kiosk.notice", "notice_id", (selectinload(Notice.agency),)),
    KindSpec("catalog", CatalogItem, CatalogForm, _l("公开目录"), _l("新建目录事项"),
             CatalogItem.content, (CatalogItem.id.desc(),),
             lambda c: f"{c.seq} · {c.category.name if c.category else ''}",
             "kiosk.catalog", "", (selectinload(CatalogItem.category),)),
)}
KIND_PATH = "<any(" + ", ".join(KINDS) + "):kind>"


def _spec(kind: str) -> KindSpec:
    return KINDS[kind]


def _item(spec: KindSpec, item_id: int) -> Any:
    obj = db.session.get(spec.model, item_id)
    if obj is None:
        abort(404)
    return obj


def _page() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 10**6))
    except ValueError:
        return 1


# -- overview and lists -----------------------------------------------------------------------


@bp.get("/")
@role_required(Role.EDITOR)
def index() -> str:
    counts: dict[str, dict[str, int]] = {}
    for key, spec in KINDS.items():
        by_status: dict[str, int] = {}
        if spec.has_status:
            rows = db.session.execute(select(spec.model.status, func.count())
                                      .group_by(spec.model.status)).all()
            by_status = {PubStatus(status).value: n for status, n in rows}
        total = db.session.scalar(select(func.count()).select_from(spec.model)) or 0
        counts[key] = {**by_status, "total": total}
    return render_template("content/staff/index.html", title=_l("内容管理"), kinds=KINDS,
                           counts=counts, statuses=STATUS_LABELS)


@bp.get(f"/{KIND_PATH}/")
@role_required(Role.EDITOR)
def items(kind: str) -> str:
    spec = _spec(kind)
    q = request.args.get("q", "").strip()[:MAX_QUERY]
    status = request.args.get("status", "")
    status = status if spec.has_status and status in STATUS_LABELS else ""
    stmt = select(spec.model)
    if q:
        stmt = stmt.where(spec.search_column.contains(q, autoescape=True))
    if status:
        stmt = stmt.where(spec.model.status == PubStatus(status))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = _page()
    rows = db.session.scalars(stmt.options(*spec.options).order_by(*spec.order)
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "content/staff/list.html", title=spec.label, spec=spec, rows=rows, q=q, status=status,
        statuses=STATUS_LABELS, page=page, pages=max(1, -(-total // PAGE_SIZE)), total=total,
        here=request.full_path.rstrip("?"),
    )


# -- forms ------------------------------------------------------------------------------------


def _agency_choices(empty: str) -> list[SelectChoice]:
    agencies = db.session.scalars(select(Agency).order_by(Agency.name)).all()
    return options([("", empty), *((a.id, a.name) for a in agencies)])


def _category_choices(empty: str) -> list[SelectChoice]:
    tops = db.session.scalars(select(Category).where(Category.parent_id.is_(None))
                              .options(selectinload(Category.children))
                              .order_by(Category.position, Category.id)).all()
    choices: list[tuple[Any, str]] = [("", empty)]
    for top in tops:
        choices.append((top.id, f"{top.code} {top.name}"))
        choices += [(c.id, f"— {c.code} {c.name}") for c in top.children]
    return options(choices)


def _media_choices(kind: str, current: str) -> list[SelectChoice]:
    files = db.session.scalars(select(MediaFile).where(MediaFile.kind == kind)
                               .order_by(MediaFile.uploaded_at.desc(), MediaFile.id.desc())).all()
    choices = [("", _("（不用）"))]
    choices += [(m.filename, f"{m.original_name or m.filename}（{m.filename}）") for m in files]
    if current and current not in {value for value, _label in choices}:
        choices.append((current, current))
    return options(choices)


def _set_choices(form: ContentForm, obj: Any) -> None:
    """Fill the selects from the database (and keep an item's current media file)."""
    pick, none = _("请选择"), _("（无）")
    for name in ("issuer", "agency", "category"):
        select_field = getattr(form, name, None)
        if isinstance(select_field, IdSelect):
            chooser = _agency_choices if name != "category" else _category_choices
            select_field.choices = chooser(none if select_field.optional else pick)
    if isinstance(form, InterpretationForm):
        form.image.choices = _media_choices("image", getattr(obj, "image", ""))
        form.video.choices = _media_choices("video", getattr(obj, "video", ""))


def _policy_named(text: str) -> tuple[int | None, str]:
    """The id of the policy whose 文号 (else exact title) is ``text``; or a reason why not."""
    if not text:
        return None, ""
    for column, clash in ((Policy.doc_number, _("有多份文件使用这个文号，请改填完整标题。")),
                          (Policy.title, _("有多份文件使用这个标题，请改填文号。"))):
        ids = db.session.scalars(select(Policy.id).where(column == text).limit(2)).all()
        if len(ids) == 1:
            return ids[0], ""
        if ids:
            return None, clash
    return None, _("找不到文号或标题为“%(text)s”的政策文件。", text=text)


def _add_error(form_field: Any, message: str) -> None:
    form_field.errors = [*form_field.errors, message]


def _check_links(form: ContentForm, obj: Any) -> bool:
    """Resolve the policy named in a policy's 被替代为 or an interpretation's policy field."""
    if isinstance(form, PolicyForm):
        ident, problem = _policy_named(form.replaced_by.data or "")
        problems = [problem] if problem else services.check_replacement(obj or Policy(), ident)
        for message in problems:
            _add_error(form.replaced_by, message)
        form.replaced_by_id = ident
        return not problems
    if isinstance(form, InterpretationForm):
        ident, problem = _policy_named(form.policy.data or "")
        if problem:
            _add_error(form.policy, problem)
        form.policy_id = ident
        return not problem
    return True


def _policy_suggestions() -> list[Policy]:
    newest = select(Policy).order_by(Policy.issued_on.desc(), Policy.id.desc())
    return list(db.session.scalars(newest.limit(POLICY_SUGGESTIONS)))


def _edit(spec: KindSpec, obj: Any) -> Response | tuple[str, int]:
    form = spec.form()
    if request.method == "GET" and obj is not None:
        form.load(obj)
    _set_choices(form, obj)
    status = 200
    if request.method == "POST":
        valid = form.validate()
        valid = _check_links(form, obj) and valid
        if valid:
            return _save(spec, obj, form)
        status = 422
    body = form["body"].data if "body" in form else None
    return render_template(
        "content/staff/form.html", title=spec.new_label if obj is None else _l("编辑"),
        spec=spec, form=form, item=obj, errors=form.all_errors(),
        preview_html=render(body or "") if body is not None else "",
        policies=_policy_suggestions() if isinstance(form, PolicyForm | InterpretationForm)
        else [], policy_label=policy_label, statuses=STATUS_LABELS,
    ), status


def _save(spec: KindSpec, obj: Any, form: ContentForm) -> Response:
    target = obj if obj is not None else spec.model()
    before = audit.snapshot(obj) if obj is not None else None
    services.apply_fields(target, form.fields())
    if obj is not None and audit.snapshot(target) == before:
        flash(_("没有改动。"), "success")
        return redirect(url_for(".edit", kind=spec.key, item_id=target.id), 303)
    db.session.add(target)
    audit.record_change("create" if obj is None else "update", target, before,
                        label=spec.title_of(target))
    services.save(target)
    flash(_("已保存“%(title)s”。", title=spec.title_of(target)), "success")
    return redirect(url_for(".edit", kind=spec.key, item_id=target.id), 303)


@bp.route(f"/{KIND_PATH}/new", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def new(kind: str) -> Response | tuple[str, int]:
    return _edit(_spec(kind), None)


@bp.route(f"/{KIND_PATH}/<int:item_id>", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def edit(kind: str, item_id: int) -> Response | tuple[str, int]:
    spec = _spec(kind)
    return _edit(spec, _item(spec, item_id))


@bp.post("/preview")
@role_required(Role.EDITOR)
def preview() -> Response | tuple[Response, int]:
    """The sanitized HTML of the posted Markdown (``md``), as the kiosk will show it."""
    source = request.form.get("md", "")
    if len(source) > MAX_BODY:
        return jsonify(error=_("正文太长，无法预览。")), 413
    return jsonify(html=render(source))


# -- quick actions ----------------------------------------------------------------------------


def _back(spec: KindSpec, obj: Any) -> Response:
    default = url_for(".edit", kind=spec.key, item_id=obj.id)
    return redirect(safe_next(request.form.get("next"), default), 303)


def _change_status(spec: KindSpec, item_id: int, action: str) -> Response:
    if not spec.has_status:
        abort(404)
    obj = _item(spec, item_id)
    target = PubStatus.PUBLISHED if action == "publish" else PubStatus.WITHDRAWN
    title = spec.title_of(obj)
    if obj.status == target:
        flash(_("“%(title)s”已经是“%(status)s”。", title=title,
                status=STATUS_LABELS[target.value]), "success")
        return _back(spec, obj)
    now = utcnow()
    publish_at = obj.publish_at
    if target is PubStatus.PUBLISHED and publish_at is not None and publish_at > now:
        publish_at = now  # published early, by hand
    problems = check_publication(target, publish_at, obj.expire_at, now)
    if problems:
        for problem in problems:
            flash(_("“%(title)s”没有改动：%(why)s", title=title, why=problem), "error")
        return _back(spec, obj)
    before = audit.snapshot(obj)
    obj.status, obj.publish_at = target, publish_at
    old, new_values = audit.diff(before, audit.snapshot(obj))
    audit.record(action, obj_type=obj.__tablename__, obj_id=obj.id, label=title,
                 old=old, new=new_values)
    services.save(obj)
    if action == "publish":
        flash(_("已发布“%(title)s”。", title=title), "success")
    else:
        flash(_("已撤回“%(title)s”。", title=title), "success")
    return _back(spec, obj)


@bp.post(f"/{KIND_PATH}/<int:item_id>/publish")
@role_required(Role.EDITOR)
def publish(kind: str, item_id: int) -> Response:
    return _change_status(_spec(kind), item_id, "publish")


@bp.post(f"/{KIND_PATH}/<int:item_id>/withdraw")
@role_required(Role.EDITOR)
def withdraw(kind: str, item_id: int) -> Response:
    return _change_status(_spec(kind), item_id, "withdraw")


@bp.post(f"/{KIND_PATH}/<int:item_id>/delete")
@role_required(Role.EDITOR)
def delete(kind: str, item_id: int) -> Response:
    spec = _spec(kind)
    obj = _item(spec, item_id)
    title = spec.title_of(obj)
    if isinstance(obj, Policy) and obj.interpretations:
        flash(_("不能删除“%(title)s”：有 %(n)d 篇解读关联这份文件。请先在解读中改选或清空"
                "“所解读的政策”。", title=title, n=len(obj.interpretations)), "error")
        return _back(spec, obj)
    audit.record_change("delete", obj, audit.snapshot(obj), label=title)
    services.delete(obj)
    flash(_("已删除“%(title)s”。", title=title), "success")
    return redirect(url_for(".items", kind=spec.key), 303)


def init_app(app: Flask) -> None:
    """Register the pages and the 内容管理 menu link."""
    app.register_blueprint(bp)
    register_nav(app, _l("内容管理"), "content_staff.index", Role.EDITOR, order=20)
