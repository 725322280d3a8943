"""Staff pages of citizens' voice (``/staff/feedback``): the suggestion queue (assign, deadline,
reply, publish, close) and consultations (write, attach documents, open, close, summarise,
read and export comments).

Who: editors and disclosure officers (and admins). Consultations are publications, which is
editors' work; answering citizens in writing by a deadline is what officers do for disclosure
requests. Window clerks are left out on purpose: suggestions are often about the windows.

Thin: parse the form, call ``feedback.suggestions`` / ``feedback.consultations`` (which audit
and commit), redirect with a message.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from feedback import consultations, suggestions
from feedback.crypto import decrypt_phone, mask_phone
from feedback.downloads import document_response
from feedback.errors import FeedbackError
from feedback.labels import category_label, consultation_label, status_label
from feedback.models import (
    Comment,
    Consultation,
    ConsultationDocument,
    ConsultationStatus,
    Suggestion,
    SuggestionStatus,
)
from feedback.staff_forms import (
    AssignForm,
    ConsultationForm,
    DeadlineForm,
    DocumentForm,
    ReplyForm,
    SummaryForm,
)
from hall import audit
from hall.auth import current_user, register_nav, role_required
from hall.extensions import db
from hall.models import Role, StaffUser
from hall.timefmt import local_today

bp = Blueprint("feedback_staff", __name__, url_prefix="/staff/feedback",
               template_folder="templates")
#: The pages' stylesheet, outside /staff (whose every endpoint needs a role guard).
assets = Blueprint("feedback", __name__, static_folder="static",
                   static_url_path="/feedback/static")

ROLES = (Role.EDITOR, Role.OFFICER)
PAGE_SIZE = 50
TABS = [("feedback_staff.index", _l("意见建议")),
        ("feedback_staff.consultations", _l("征求意见"))]
FILTERS = [("open", _l("待办")), ("overdue", _l("已超期")), ("mine", _l("我承办的")),
           (SuggestionStatus.ANSWERED.value, _l("已答复")),
           (SuggestionStatus.CLOSED.value, _l("已办结")), ("all", _l("全部"))]

for _code, _label in (("assign", _l("分办")), ("deadline", _l("设置期限")),
                      ("reply", _l("答复")), ("close", _l("办结")), ("reopen", _l("重新办理")),
                      ("open", _l("开始征求意见")), ("hide", _l("屏蔽")),
                      ("unhide", _l("取消屏蔽")), ("view_contact", _l("查看联系电话"))):
    audit.register_action(_code, _label)


def _get(model: type[Any], ident: int) -> Any:
    row = db.session.get(model, ident)
    if row is None:
        abort(404)
    return row


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    endpoint = request.endpoint or ""
    context.setdefault("tab", "feedback_staff.index" if "suggestion" in endpoint
                       or endpoint.endswith(".index") else "feedback_staff.consultations")
    return render_template(f"feedback/staff/{template}", tabs=TABS,
                           category_label=category_label, status_label=status_label,
                           consultation_label=consultation_label, **context), status


def _me() -> StaffUser:
    user = current_user()
    assert user is not None  # the guard saw to it
    return user


def _refused(error: FeedbackError) -> None:
    flash(str(error.message), "error")


# -- suggestions ------------------------------------------------------------------------------

@bp.get("/")
@role_required(*ROLES)
def index() -> tuple[str, int]:
    """The queue: open suggestions first, earliest deadline first; overdue ones marked."""
    show = request.args.get("show", "open")
    if show not in {key for key, _label in FILTERS}:
        abort(400)
    page = request.args.get("page", "1")
    number = int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 10_000 else 1
    today = local_today()
    status = {"open": "open", "overdue": "", "mine": "open", "all": ""}.get(show, show)
    rows, total = suggestions.queue(
        status, overdue_on=today if show == "overdue" else None,
        assignee_id=_me().id if show == "mine" else None,
        limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    return _page("index.html", title=_l("意见建议"), rows=rows, total=total, show=show,
                 filters=FILTERS, counts=suggestions.counts(today), today=today,
                 page=number, pages=max(1, -(-total // PAGE_SIZE)))


def _assignees() -> list[StaffUser]:
    users = db.session.scalars(select(StaffUser).where(StaffUser.active.is_(True))
                               .order_by(StaffUser.username)).all()
    return [u for u in users if u.has_role(*ROLES)]


def _suggestion_page(row: Suggestion, status: int = 200, *, phone: str | None = None,
                     reply_form: ReplyForm | None = None) -> tuple[str, int]:
    assign = AssignForm()
    assign.assignee.choices = [("", _("（未分办）")),
                               *((str(u.id), u.label) for u in _assignees())]
    assign.assignee.data = str(row.assignee_id or "")
    deadline = DeadlineForm()
    deadline.due_on.data = row.due_on
    if reply_form is None:
        reply_form = ReplyForm()
        reply_form.reply.data, reply_form.public.data = row.reply, row.reply_public
    stored = decrypt_phone(row.contact_phone_enc)
    return _page("suggestion.html", status, title=row.code, row=row, assign=assign,
                 deadline=deadline, reply=reply_form, today=local_today(),
                 masked=mask_phone(stored) if stored else "", unreadable=stored is None,
                 phone=phone, public=suggestions.shown_publicly(row))


@bp.get("/suggestions/<int:suggestion_id>")
@role_required(*ROLES)
def suggestion(suggestion_id: int) -> tuple[str, int]:
    return _suggestion_page(_get(Suggestion, suggestion_id))


@bp.post("/suggestions/<int:suggestion_id>/contact")
@role_required(*ROLES)
def suggestion_contact(suggestion_id: int) -> tuple[str, int]:
    """The full phone number, to call the citizen back; each look is in the audit log."""
    row = _get(Suggestion, suggestion_id)
    phone = decrypt_phone(row.contact_phone_enc)
    if phone:
        suggestions.record_contact_view(row)
    return _suggestion_page(row, phone=phone or None)


def _back(row: Suggestion) -> Response:
    return redirect(url_for(".suggestion", suggestion_id=row.id), 303)


@bp.post("/suggestions/<int:suggestion_id>/assign")
@role_required(*ROLES)
def suggestion_assign(suggestion_id: int) -> Response:
    row = _get(Suggestion, suggestion_id)
    form = AssignForm()
    form.assignee.choices = [("", ""), *((str(u.id), u.label) for u in _assignees())]
    if not form.validate():
        flash(" ".join(form.all_errors()), "error")
        return _back(row)
    user = db.session.get(StaffUser, int(form.assignee.data)) if form.assignee.data else None
    try:
        suggestions.assign(row, user)
    except FeedbackError as error:
        _refused(error)
    else:
        flash(_("已分办给 %(name)s。", name=user.label) if user else _("已取消分办。"),
              "success")
    return _back(row)


@bp.post("/suggestions/<int:suggestion_id>/deadline")
@role_required(*ROLES)
def suggestion_deadline(suggestion_id: int) -> Response:
    row = _get(Suggestion, suggestion_id)
    form = DeadlineForm()
    if not form.validate():
        flash(" ".join(form.all_errors()), "error")
        return _back(row)
    try:
        suggestions.set_deadline(row, form.due_on.data, local_today())
    except FeedbackError as error:
        _refused(error)
    else:
        flash(_("办理期限已改为 %(day)s。", day=row.due_on.isoformat()), "success")
    return _back(row)


@bp.post("/suggestions/<int:suggestion_id>/reply")
@role_required(*ROLES)
def suggestion_reply(suggestion_id: int) -> ResponseReturnValue:
    row = _get(Suggestion, suggestion_id)
    form = ReplyForm()
    if not form.validate():
        return _suggestion_page(row, 422, reply_form=form)
    try:
        suggestions.answer(row, form.reply.data or "", public=bool(form.public.data),
                           by=_me().label)
    except FeedbackError as error:
        form.reply.errors = [str(error.message)]
        return _suggestion_page(row, 422, reply_form=form)
    flash(_("答复已保存。"), "success")
    return _back(row)


@bp.post("/suggestions/<int:suggestion_id>/publish")
@role_required(*ROLES)
def suggestion_publish(suggestion_id: int) -> Response:
    row = _get(Suggestion, suggestion_id)
    on = request.form.get("on", "")
    if on not in {"0", "1"}:
        abort(400)
    try:
        suggestions.publish(row, on == "1")
    except FeedbackError as error:
        _refused(error)
    else:
        flash(_("已发布到自助终端和大厅屏幕。") if on == "1" else _("已撤回发布。"), "success")
    return _back(row)


@bp.post("/suggestions/<int:suggestion_id>/close")
@role_required(*ROLES)
def suggestion_close(suggestion_id: int) -> Response:
    row = _get(Suggestion, suggestion_id)
    suggestions.close(row)
    flash(_("已办结。"), "success")
    return _back(row)


@bp.post("/suggestions/<int:suggestion_id>/reopen")
@role_required(*ROLES)
def suggestion_reopen(suggestion_id: int) -> Response:
    row = _get(Suggestion, suggestion_id)
    suggestions.reopen(row)
    flash(_("已重新办理。"), "success")
    return _back(row)


# -- consultations ----------------------------------------------------------------------------

@bp.get("/consultations", endpoint="consultations")
@role_required(*ROLES)
def consultations_list() -> tuple[str, int]:
    rows = db.session.scalars(select(Consultation).order_by(Consultation.id.desc())).all()
    return _page("consultations.html", title=_l("征求意见"), rows=rows,
                 counts=consultations.comment_counts([r.id for r in rows]))


def _consultation_form(row: Consultation | None) -> ResponseReturnValue:
    form = ConsultationForm()
    if request.method == "GET" and row is not None:
        form.load(row)
    status = 200
    if request.method == "POST":
        if form.validate():
            target = row if row is not None else Consultation()
            try:
                changed = consultations.save(target, form.fields(), by=_me().label)
            except FeedbackError as error:
                form.body_html.errors = [str(error.message)]
            else:
                flash(_("已保存“%(title)s”。", title=target.title) if changed
                      else _("没有改动。"), "success")
                return redirect(url_for(".consultation", consultation_id=target.id), 303)
        status = 422
    return _page("consultation_form.html", status, form=form, row=row,
                 title=_l("新建征求意见") if row is None else _l("编辑征求意见"),
                 errors=form.all_errors())


@bp.route("/consultations/new", methods=["GET", "POST"])
@role_required(*ROLES)
def consultation_new() -> ResponseReturnValue:
    return _consultation_form(None)


@bp.route("/consultations/<int:consultation_id>/edit", methods=["GET", "POST"])
@role_required(*ROLES)
def consultation_edit(consultation_id: int) -> ResponseReturnValue:
    return _consultation_form(_get(Consultation, consultation_id))


def _consultation_page(row: Consultation, status: int = 200, *,
                       summary: SummaryForm | None = None,
                       document: DocumentForm | None = None) -> tuple[str, int]:
    if summary is None:
        summary = SummaryForm()
        summary.summary.data, summary.adoption.data = row.summary, row.adoption
    return _page("consultation.html", status, title=row.title, row=row, summary=summary,
                 document=document or DocumentForm(),
                 count=consultations.comment_counts([row.id]).get(row.id, 0),
                 statuses=ConsultationStatus)


@bp.get("/consultations/<int:consultation_id>")
@role_required(*ROLES)
def consultation(consultation_id: int) -> tuple[str, int]:
    return _consultation_page(_get(Consultation, consultation_id))


def _to(row: Consultation) -> Response:
    return redirect(url_for(".consultation", consultation_id=row.id), 303)


@bp.post("/consultations/<int:consultation_id>/open")
@role_required(*ROLES)
def consultation_open(consultation_id: int) -> Response:
    row = _get(Consultation, consultation_id)
    try:
        consultations.open_(row)
    except FeedbackError as error:
        _refused(error)
    else:
        flash(_("已开始征求意见。"), "success")
    return _to(row)


@bp.post("/consultations/<int:consultation_id>/close")
@role_required(*ROLES)
def consultation_close(consultation_id: int) -> Response:
    row = _get(Consultation, consultation_id)
    try:
        consultations.close(row)
    except FeedbackError as error:
        _refused(error)
    else:
        flash(_("已结束征求意见，不再接收意见。"), "success")
    return _to(row)


@bp.post("/consultations/<int:consultation_id>/delete")
@role_required(*ROLES)
def consultation_delete(consultation_id: int) -> Response:
    row = _get(Consultation, consultation_id)
    try:
        consultations.delete(row)
    except FeedbackError as error:
        _refused(error)
        return _to(row)
    flash(_("已删除草稿。"), "success")
    return redirect(url_for(".consultations"), 303)


@bp.post("/consultations/<int:consultation_id>/summary")
@role_required(*ROLES)
def consultation_summary(consultation_id: int) -> ResponseReturnValue:
    row = _get(Consultation, consultation_id)
    form = SummaryForm()
    if not form.validate():
        return _consultation_page(row, 422, summary=form)
    try:
        consultations.summarise(row, form.summary.data or "", form.adoption.data or "")
    except FeedbackError as error:  # e.g. longer than CONSULTATION_SUMMARY_MAX_CHARS
        form.summary.errors = [str(error.message)]
        return _consultation_page(row, 422, summary=form)
    flash(_("意见汇总和采纳情况已保存。"), "success")
    return _to(row)


@bp.post("/consultations/<int:consultation_id>/documents")
@role_required(*ROLES)
def document_upload(consultation_id: int) -> ResponseReturnValue:
    row = _get(Consultation, consultation_id)
    form = DocumentForm()
    upload = request.files.get("file")
    if not form.validate() or upload is None or not upload.filename:
        if upload is None or not upload.filename:
            form.file.errors = [_("请选择要上传的文件。")]
        return _consultation_page(row, 422, document=form)
    data = upload.read()
    try:
        consultations.add_document(row, form.title.data or "", upload.filename, data,
                                   by=_me().label)
    except FeedbackError as error:
        form.file.errors = [str(error.message)]
        return _consultation_page(row, 422, document=form)
    flash(_("文件已上传。"), "success")
    return _to(row)


@bp.post("/consultations/<int:consultation_id>/documents/<int:document_id>/delete")
@role_required(*ROLES)
def document_delete(consultation_id: int, document_id: int) -> Response:
    row = _get(Consultation, consultation_id)
    doc = _get(ConsultationDocument, document_id)
    if doc.consultation_id != row.id:
        abort(404)
    consultations.remove_document(doc)
    flash(_("文件已删除。"), "success")
    return _to(row)


@bp.get("/consultations/<int:consultation_id>/documents/<int:document_id>")
@role_required(*ROLES)
def document(consultation_id: int, document_id: int) -> Response:
    doc = _get(ConsultationDocument, document_id)
    if doc.consultation_id != consultation_id:
        abort(404)
    return document_response(doc)


@bp.get("/consultations/<int:consultation_id>/comments")
@role_required(*ROLES)
def comments(consultation_id: int) -> tuple[str, int]:
    row = _get(Consultation, consultation_id)
    rows = consultations.comments(row, limit=1000)
    masked = {}
    for c in rows:
        phone = decrypt_phone(c.contact_phone_enc)
        masked[c.id] = mask_phone(phone) if phone else ""
    return _page("comments.html", title=_l("收到的意见"), row=row, rows=rows, masked=masked)


@bp.post("/comments/<int:comment_id>/hide")
@role_required(*ROLES)
def comment_hide(comment_id: int) -> Response:
    comment = _get(Comment, comment_id)
    on = request.form.get("on", "")
    if on not in {"0", "1"}:
        abort(400)
    consultations.hide_comment(comment, on == "1", by=_me().label)
    flash(_("已屏蔽这条意见。") if on == "1" else _("已取消屏蔽。"), "success")
    return redirect(url_for(".comments", consultation_id=comment.consultation_id,
                            _anchor=f"comment-{comment.id}"), 303)


@bp.get("/consultations/<int:consultation_id>/comments.csv")
@role_required(*ROLES)
def comments_csv(consultation_id: int) -> Response:
    row = _get(Consultation, consultation_id)
    body = consultations.comments_csv(row)
    response = Response(body, mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=consultation-{row.id}-comments.csv")
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(assets)
    register_nav(app, _l("意见征集"), "feedback_staff.index", *ROLES, order=60)
