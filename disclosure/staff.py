"""Staff pages of applications for disclosure (``/staff/disclosure``): the case list with its
due-soon and overdue marks, the case page (masked personal data, an audited look at a sealed
field, the deadline and how it was computed, the history, a form for each step the workflow
allows now), applications entered by staff, released documents, and the reply letter.

Who: disclosure officers (and admins). Thin: parse the form, call ``disclosure.workflow``
(which checks the law, records the event and commits), redirect with a message. A step the
workflow refuses is shown with its reason and status 422.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response

from disclosure import letters, workflow
from disclosure.deadlines import format_day, supplement_request_by
from disclosure.models import Application, Attachment, Event, Hold
from disclosure.personal import ID_TYPE_LABELS, PersonalDataError, mask_name
from disclosure.results import RESULT_LABELS
from disclosure.staff_forms import (
    SEALED_FIELDS,
    AnswerForm,
    ApplicationForm,
    AttachmentForm,
    ConsultationForm,
    DayForm,
    ExtendForm,
    ReasonForm,
    RevealForm,
    SupplementRequestForm,
)
from hall import audit
from hall.auth import current_user, register_nav, role_required
from hall.calendar import WorkdayCalendar, load_calendar
from hall.dashboard import Figure, Panel, Period, register_panel
from hall.extensions import db
from hall.forms import StaffForm
from hall.models import Role
from hall.signals import calendar_changed
from hall.timefmt import local_today

bp = Blueprint("disclosure_staff", __name__, url_prefix="/staff/disclosure",
               template_folder="templates")
#: Stylesheets and scripts of these pages and the letter, outside /staff (whose every
#: endpoint needs a role guard).
assets = Blueprint("disclosure_assets", __name__, static_folder="static/disclosure",
                   static_url_path="/disclosure/static")

ROLES = (Role.OFFICER,)
PAGE_SIZE = 50
DUE_SOON_WORKDAYS = 5
OPEN_STAGES = workflow.OPEN_STAGES
#: Event actions besides the workflow's steps (attachments are the staff pages' own).
EVENT_LABELS: dict[str, Any] = {**workflow.EVENT_LABELS, "attach": _l("上传附件"),
                                "detach": _l("删除附件")}
for _code, _label in (("disclosure_attach", _l("上传依申请公开附件")),
                      ("disclosure_detach", _l("删除依申请公开附件"))):
    audit.register_action(_code, _label)

#: Uploads by extension, with the bytes each must start with (the name alone is not trusted).
UPLOAD_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".ofd": ("application/ofd", (b"PK\x03\x04",)),
    ".zip": ("application/zip", (b"PK\x03\x04", b"PK\x05\x06")),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              (b"PK\x03\x04",)),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation",
              (b"PK\x03\x04",)),
    ".doc": ("application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    ".xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    ".ppt": ("application/vnd.ms-powerpoint", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    ".wps": ("application/vnd.ms-works", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".tif": ("image/tiff", (b"II*\x00", b"MM\x00*")),
    ".tiff": ("image/tiff", (b"II*\x00", b"MM\x00*")),
}
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _get(app_id: int) -> Application:
    row = db.session.get(Application, app_id)
    if row is None:
        abort(404)
    return row


def _actor() -> str:
    user = current_user()
    assert user is not None  # the guard saw to it
    return user.username


def is_open(row: Application) -> bool:
    return row.stage in OPEN_STAGES


@dataclass(frozen=True)
class DueMark:
    """How a case stands against its deadline, in words (and a class for the colour)."""

    text: Any
    css: str  # "overdue", "soon", "paused", "ok", "done"


def due_mark(row: Application, cal: WorkdayCalendar, today: dt.date) -> DueMark:
    if not is_open(row):
        return DueMark("", "done")
    if row.hold == Hold.CONSULTATION:
        return DueMark(_l("期限暂停中"), "paused")
    if row.hold == Hold.SUPPLEMENT:
        due = row.supplement_due_on
        if due is not None and today > due:
            return DueMark(_l("补正期限已过，可终止办理"), "overdue")
        return DueMark(_l("等待补正（至 %(day)s）", day=due.isoformat() if due else "—"),
                       "paused")
    if today > row.due_on:
        n = cal.workdays_between(row.due_on, today)
        return DueMark(_l("已超期 %(n)d 个工作日", n=n), "overdue")
    left = cal.workdays_between(today, row.due_on)
    if left == 0:
        return DueMark(_l("今天到期"), "soon")
    return DueMark(_l("剩 %(n)d 个工作日", n=left),
                   "soon" if left <= DUE_SOON_WORKDAYS else "ok")


#: How the history names the fields a step changed (others are shown by column name).
FIELD_LABELS: dict[str, Any] = {
    "stage": _l("阶段"), "hold": _l("等待事项"), "due_on": _l("答复期限"),
    "clock_start": _l("起算日"), "received_on": _l("收到日期"), "channel": _l("收到方式"),
    "supplement_requested_on": _l("告知补正日"), "supplement_due_on": _l("补正期限"),
    "supplement_request": _l("补正内容"), "supplement_received_on": _l("收到补正日"),
    "paused_on": _l("暂停起始日"), "paused_workdays": _l("已暂停工作日"),
    "extension_workdays": _l("延长工作日"), "extension_approved_by": _l("批准人"),
    "result": _l("办理结果"), "replied_on": _l("答复日期"), "replied_by": _l("答复人"),
    "reply_text": _l("答复正文"), "reply_extra": _l("答复附加信息"),
    "closed_on": _l("终止日期"), "archived_on": _l("归档日期"), "assignee": _l("承办人"),
    "consultation": _l("征求意见对象"), "filename": _l("文件"), "size": _l("大小（字节）"),
}
#: Never shown in the history: the full name (the case page masks it) and lookup keys.
_HIDDEN_FIELDS = {"name", "contact_person", "phone_last4", "created_by", "terminal",
                  "consent_at", "year", "seq", "number", "id"}
#: A filing's snapshot is the whole form: the history shows only these of it.
_FILE_FIELDS = ("channel", "received_on", "due_on")


def event_changes(event: Event) -> list[tuple[Any, Any, Any]]:
    """(label, old, new) of what a step changed, without personal data."""
    old, new = event.old or {}, event.new or {}
    keys = [k for k in _FILE_FIELDS if k in new] if event.action == "file" else \
        [k for k in dict.fromkeys([*old, *new]) if k not in _HIDDEN_FIELDS]
    labels = {"stage": workflow.STAGE_LABELS, "hold": workflow.HOLD_LABELS,
              "channel": workflow.CHANNEL_LABELS, "result": RESULT_LABELS,
              "consultation": dict(workflow.CONSULTATION_KINDS)}

    def show(key: str, value: Any) -> Any:
        if value in (None, ""):
            return "—"
        return labels.get(key, {}).get(value, value) if isinstance(value, str) else value

    return [(FIELD_LABELS.get(k, k), show(k, old.get(k)) if event.action != "file" else "",
             show(k, new.get(k))) for k in keys]


def _labels() -> dict[str, Any]:
    return {"stage_labels": workflow.STAGE_LABELS, "hold_labels": workflow.HOLD_LABELS,
            "channel_labels": workflow.CHANNEL_LABELS, "event_labels": EVENT_LABELS,
            "applicant_labels": workflow.APPLICANT_TYPE_LABELS,
            "result_labels": RESULT_LABELS, "id_type_labels": ID_TYPE_LABELS,
            "format_labels": dict(workflow.FORMATS),
            "delivery_labels": dict(workflow.DELIVERIES), "mask_name": mask_name,
            "consultation_labels": dict(workflow.CONSULTATION_KINDS),
            "event_changes": event_changes}


# -- the list ---------------------------------------------------------------------------------

@bp.get("/")
@role_required(*ROLES)
def index() -> tuple[str, int]:
    """Open cases first, earliest due first; filters by stage, hold, channel, year, due and a
    search on the number or the title."""
    args = request.args
    stage = args.get("stage", "open")
    hold = args.get("hold", "")
    channel = args.get("channel", "")
    due = args.get("due", "")
    q = args.get("q", "").strip()[:100]
    year_text = args.get("year", "")
    if (stage not in {"open", "all", *workflow.STAGE_LABELS}
            or hold not in {"", "any", *workflow.HOLD_LABELS}
            or channel not in {"", *workflow.CHANNEL_LABELS} or due not in {"", "soon", "overdue"}
            or (year_text and not (year_text.isascii() and year_text.isdigit()
                                   and 2000 <= int(year_text) <= 2100))):
        abort(400)
    page_text = args.get("page", "1")
    page = (int(page_text) if page_text.isascii() and page_text.isdigit()
            and 0 < int(page_text) < 10_000 else 1)
    today = local_today()
    cal = load_calendar()
    query = select(Application)
    if stage == "open" or due:
        query = query.where(Application.stage.in_(OPEN_STAGES))
    elif stage != "all":
        query = query.where(Application.stage == stage)
    if hold == "any":
        query = query.where(Application.hold != Hold.NONE)
    elif hold:
        query = query.where(Application.hold == hold)
    if channel:
        query = query.where(Application.channel == channel)
    if year_text:
        query = query.where(Application.year == int(year_text))
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Application.number.like(like, escape="\\"),
                                Application.info_title.like(like, escape="\\"),
                                Application.info_doc_number.like(like, escape="\\")))
    soon_by = cal.add_workdays(today, DUE_SOON_WORKDAYS)
    if due == "overdue":
        query = query.where(Application.due_on < today, Application.hold == Hold.NONE)
    elif due == "soon":
        query = query.where(Application.due_on >= today, Application.due_on <= soon_by,
                            Application.hold == Hold.NONE)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(Application.due_on, Application.id)
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    counts = _counts(today, cal)
    years = sorted(db.session.scalars(select(Application.year).distinct()).all(), reverse=True)
    return render_template(
        "disclosure/staff/index.html", title=_l("依申请公开"), rows=rows, total=total,
        marks={r.id: due_mark(r, cal, today) for r in rows}, counts=counts, years=years,
        filters={"stage": stage, "hold": hold, "channel": channel, "due": due, "q": q,
                 "year": year_text},
        page=page, pages=max(1, -(-total // PAGE_SIZE)), today=today,
        has_report="disclosure_report.index" in current_app.view_functions, **_labels()), 200


def _counts(today: dt.date, cal: WorkdayCalendar) -> dict[str, int]:
    """Open cases, those due within DUE_SOON_WORKDAYS working days, and overdue ones (as
    ``workflow.due_soon`` / ``overdue`` count them: only cases whose clock runs)."""
    open_q = select(func.count(Application.id)).where(Application.stage.in_(OPEN_STAGES))
    running = open_q.where(Application.hold == Hold.NONE)
    soon_by = cal.add_workdays(today, DUE_SOON_WORKDAYS)
    return {
        "open": db.session.scalar(open_q) or 0,
        "soon": db.session.scalar(running.where(Application.due_on >= today,
                                                Application.due_on <= soon_by)) or 0,
        "overdue": db.session.scalar(running.where(Application.due_on < today)) or 0,
    }


# -- entry by staff ---------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@role_required(*ROLES)
def new() -> ResponseReturnValue:
    """An application received on paper, by post, online or fax, or filled in for a walk-in
    applicant, with its own day received (Art 31)."""
    form = ApplicationForm()
    today = local_today()
    status = 200
    if request.method == "GET":
        form.received_on.data = today
    elif form.validate():
        received: dt.date = form.received_on.data
        if received > today:
            form.received_on.errors = [_("收到日期不能晚于今天。")]
        else:
            inp = workflow.ApplicationInput(**form.values())
            try:
                row = workflow.file_application(
                    inp, channel=form.channel.data, received_on=received, actor=_actor(),
                    assisted=bool(form.assisted.data),
                    request_key=request.form.get("request_key") or None)
            except workflow.InvalidApplication as error:
                _attach_errors(form, error.errors)
            else:
                flash(_("已登记申请 %(n)s，答复期限 %(d)s。", n=row.number,
                        d=row.due_on.isoformat()), "success")
                return redirect(url_for(".case", app_id=row.id), 303)
        status = 422
    else:
        status = 422
    key = request.form.get("request_key", "")[:64] or secrets.token_urlsafe(16)
    return render_template("disclosure/staff/new.html", title=_l("录入申请"), form=form,
                           errors=form.all_errors(), today=today, request_key=key), status


def _attach_errors(form: ApplicationForm, errors: dict[str, Any]) -> None:
    for name, message in errors.items():
        target = form[name] if name in form else form.info_description
        target.errors = [*list(target.errors or []), str(message)]


# -- the case ---------------------------------------------------------------------------------

def _forms_for(row: Application, today: dt.date,
               given: dict[str, StaffForm] | None = None) -> dict[str, StaffForm]:
    """One form per step the workflow allows now, with sensible defaults."""
    given = given or {}
    cal = load_calendar()
    forms: dict[str, StaffForm] = {}
    for action in workflow.allowed_actions(row, today):
        step = STEPS.get(action)
        if step is None:
            continue
        if action in given:
            forms[action] = given[action]
            continue
        form = step.form()
        if isinstance(form, SupplementRequestForm):
            days = int(current_app.config.get("DISCLOSURE_SUPPLEMENT_DAYS", 15))
            form.due_on.data = cal.add_workdays(today, days)
        if isinstance(form, DayForm | ConsultationForm | AnswerForm):
            form.on.data = today
        forms[action] = form
    return forms


def _case_page(row: Application, status: int = 200, *, revealed: dict[str, str] | None = None,
               given: dict[str, StaffForm] | None = None, refused: str = "",
               upload: AttachmentForm | None = None) -> tuple[str, int]:
    today = local_today()
    cal = load_calendar()
    forms = _forms_for(row, today, given)
    return render_template(
        "disclosure/staff/case.html", title=row.number, row=row, forms=forms, steps=STEPS,
        mark=due_mark(row, cal, today), revealed=revealed or {}, refused=refused,
        personal=[(name, label, getattr(row, column),
                   bool(getattr(row, workflow.PERSONAL_FIELDS[name])))
                  for name, (column, label) in SEALED_FIELDS.items()],
        reveal=RevealForm(), upload=upload or AttachmentForm(), can_detach=is_open(row),
        events=row.events, today=today,
        supplement_by=supplement_request_by(row.received_on, cal),
        letter_kind=letters.kind_of(row) if row.result else "", **_labels()), status


@bp.get("/<int:app_id>")
@role_required(*ROLES)
def case(app_id: int) -> tuple[str, int]:
    return _case_page(_get(app_id))


@bp.post("/<int:app_id>/reveal")
@role_required(*ROLES)
def reveal(app_id: int) -> tuple[str, int]:
    """One sealed field in full, on this answer only (never in a URL); the look is logged."""
    row = _get(app_id)
    form = RevealForm()
    if not form.validate():
        abort(400)
    name = str(form.field.data)
    try:
        value = workflow.reveal(row, _actor(), name)
    except PersonalDataError as error:
        return _case_page(row, 409, refused=str(error.message))
    return _case_page(row, revealed={name: value})


# -- the steps of the workflow ---------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    label: Any
    form: type[StaffForm]
    run: Callable[[Application, str, Any, dt.date], Any]
    done: Any  # the flash message
    primary: bool = False


def _reason(form: Any) -> str:
    return str(getattr(form, "reason", None) and form.reason.data or "")


STEPS: dict[str, Step] = {
    "register": Step(_l("登记"), ReasonForm,
                     lambda a, who, f, today: workflow.register(a, who, reason=_reason(f),
                                                                today=today),
                     _l("已登记。"), True),
    "start_review": Step(_l("开始审核"), ReasonForm,
                         lambda a, who, f, today: workflow.start_review(
                             a, who, reason=_reason(f), today=today),
                         _l("已进入审核。"), True),
    "start_processing": Step(_l("开始办理"), ReasonForm,
                             lambda a, who, f, today: workflow.start_processing(
                                 a, who, reason=_reason(f), today=today),
                             _l("已进入办理。"), True),
    "request_supplement": Step(_l("告知补正"), SupplementRequestForm,
                               lambda a, who, f, today: workflow.request_supplement(
                                   a, who, f.what.data, f.due_on.data, today=today),
                               _l("已记录补正告知，期限暂停至收到补正材料。")),
    "receive_supplement": Step(_l("收到补正材料"), DayForm,
                               lambda a, who, f, today: workflow.receive_supplement(
                                   a, who, f.on.data, reason=_reason(f), today=today),
                               _l("已收到补正材料，答复期限自收到之日重新计算。"), True),
    "close_no_supplement": Step(_l("逾期未补正，终止办理"), ReasonForm,
                                lambda a, who, f, today: workflow.close_no_supplement(
                                    a, who, today, reason=_reason(f)),
                                _l("申请人逾期未补正，视为放弃申请，已终止。")),
    "start_consultation": Step(_l("开始征求意见（期限暂停）"), ConsultationForm,
                               lambda a, who, f, today: workflow.start_consultation(
                                   a, who, f.kind.data, f.reason.data, f.on.data,
                                   today=today),
                               _l("已开始征求意见，答复期限暂停。")),
    "end_consultation": Step(_l("结束征求意见（期限恢复）"), DayForm,
                             lambda a, who, f, today: workflow.end_consultation(
                                 a, who, f.on.data, reason=_reason(f), today=today),
                             _l("已结束征求意见，答复期限恢复计算。"), True),
    "extend": Step(_l("延长答复期限"), ExtendForm,
                   lambda a, who, f, today: workflow.extend(
                       a, who, f.workdays.data, f.approved_by.data, f.reason.data,
                       today=today),
                   _l("已延长答复期限，请告知申请人。")),
    "answer": Step(_l("答复"), AnswerForm,
                   lambda a, who, f, today: workflow.answer(
                       a, who, f.kind.data, f.result(), f.reply_text.data, f.extra(),
                       f.on.data, today=today),
                   _l("已答复。可打印答复书。"), True),
    "archive": Step(_l("归档"), ReasonForm,
                    lambda a, who, f, today: workflow.archive(a, who, reason=_reason(f),
                                                              today=today),
                    _l("已归档。")),
}


@bp.post("/<int:app_id>/step/<any(" + ", ".join(STEPS) + "):action>")
@role_required(*ROLES)
def step(app_id: int, action: str) -> ResponseReturnValue:
    """Run one step of the workflow; a refusal is shown on the case page with status 422."""
    row = _get(app_id)
    spec = STEPS[action]
    form = spec.form()
    if not form.validate():
        return _case_page(row, 422, given={action: form})
    try:
        spec.run(row, _actor(), form, local_today())
    except workflow.TransitionRefused as error:
        db.session.rollback()
        return _case_page(_get(app_id), 422, given={action: form}, refused=str(error.message))
    flash(str(spec.done), "success")
    return redirect(url_for(".case", app_id=row.id), 303)


# -- attachments ------------------------------------------------------------------------------

def upload_type(filename: str, data: bytes) -> str:
    """The checked content type of an upload, or raise ``ValueError`` with the reason."""
    suffix = PurePath(filename).suffix.lower()
    kind = UPLOAD_TYPES.get(suffix)
    if kind is None:
        allowed = "、".join(sorted({s.lstrip(".").upper() for s in UPLOAD_TYPES}))
        raise ValueError(_("不支持这种文件，只能上传 %(types)s 文件。", types=allowed))
    if not data:
        raise ValueError(_("文件是空的。"))
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(_("文件太大了，不能超过 %(mb)s MB。", mb=f"{MAX_UPLOAD_BYTES / 2**20:g}"))
    content_type, magic = kind
    if not any(data.startswith(m) for m in magic):
        raise ValueError(_("文件内容与扩展名不符，请检查后重新上传。"))
    return content_type


@bp.post("/<int:app_id>/attachments")
@role_required(*ROLES)
def attachment_upload(app_id: int) -> ResponseReturnValue:
    row = _get(app_id)
    form = AttachmentForm()
    upload = request.files.get("file")
    if not form.validate() or upload is None or not upload.filename:
        form.file.errors = [_("请选择要上传的文件。")]
        return _case_page(row, 422, upload=form)
    if not is_open(row):
        return _case_page(row, 422, refused=_("案件已答复或办结，不能再添加附件。"))
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    try:
        mime = upload_type(upload.filename, data)
    except ValueError as error:
        form.file.errors = [str(error)]
        return _case_page(row, 422, upload=form)
    name = PurePath(upload.filename.replace("\\", "/")).name[-200:] or "document"
    who = _actor()
    item = Attachment(application_id=row.id, filename=name, mime=mime, size=len(data),
                      data=data, uploaded_by=who)
    db.session.add(item)
    db.session.flush()
    db.session.add(Event(application_id=row.id, actor=who, action="attach",
                         from_stage=row.stage, to_stage=row.stage,
                         new={"filename": name, "size": len(data)}))
    audit.record("disclosure_attach", obj_type="disclosure_attachment", obj_id=item.id,
                 label=f"{row.number} · {name}", new={"filename": name, "size": len(data)})
    db.session.commit()
    flash(_("附件“%(name)s”已上传。", name=name), "success")
    return redirect(url_for(".case", app_id=row.id, _anchor="attachments"), 303)


def _attachment(app_id: int, attachment_id: int) -> Attachment:
    item = db.session.get(Attachment, attachment_id)
    if item is None or item.application_id != app_id:
        abort(404)
    return item


@bp.get("/<int:app_id>/attachments/<int:attachment_id>")
@role_required(*ROLES)
def attachment(app_id: int, attachment_id: int) -> Response:
    """The file as a download with its checked type, never sniffed as a page."""
    item = _attachment(app_id, attachment_id)
    response = send_file(io.BytesIO(item.data), mimetype=item.mime, as_attachment=True,
                         download_name=item.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/<int:app_id>/attachments/<int:attachment_id>/delete")
@role_required(*ROLES)
def attachment_delete(app_id: int, attachment_id: int) -> ResponseReturnValue:
    row = _get(app_id)
    item = _attachment(app_id, attachment_id)
    if not is_open(row):
        return _case_page(row, 422, refused=_("案件已答复或办结，附件不能再删除。"))
    who = _actor()
    db.session.add(Event(application_id=row.id, actor=who, action="detach",
                         from_stage=row.stage, to_stage=row.stage,
                         old={"filename": item.filename, "size": item.size}))
    audit.record("disclosure_detach", obj_type="disclosure_attachment", obj_id=item.id,
                 label=f"{row.number} · {item.filename}",
                 old={"filename": item.filename, "size": item.size})
    db.session.delete(item)
    db.session.commit()
    flash(_("附件已删除。"), "success")
    return redirect(url_for(".case", app_id=row.id, _anchor="attachments"), 303)


# -- the reply letter -------------------------------------------------------------------------

@bp.get("/<int:app_id>/letter")
@role_required(*ROLES)
def letter(app_id: int) -> tuple[str, int]:
    """The printable A4 reply letter (the browser's "print → save as PDF" makes the PDF)."""
    row = _get(app_id)
    if not row.result:
        return render_template("hall/staff/error.html", code=409,
                               message=_("这件申请还没有答复，暂无答复书。")), 409
    data = letters.build_letter(row, current_app.config, local_today())
    return render_template(f"disclosure/letters/{data.family}.html", letter=data, row=row,
                           regulation=letters.REGULATION, format_day=format_day,
                           title=_l("答复书 %(n)s", n=row.number)), 200


# -- dashboard and calendar -----------------------------------------------------------------

def _panel(period: Period) -> Panel:
    """Open cases, due within 5 working days, overdue; new and answered today / this month."""
    cal = load_calendar()
    counts = _counts(period.today, cal)

    def between(column: Any, start: dt.date) -> int:
        return db.session.scalar(select(func.count(Application.id)).where(
            column >= start, column <= period.today)) or 0

    return Panel(
        title=_l("依申请公开"),
        figures=[Figure(_l("收到申请"), between(Application.received_on, period.today),
                        between(Application.received_on, period.month_start)),
                 Figure(_l("已答复"), between(Application.replied_on, period.today),
                        between(Application.replied_on, period.month_start))],
        lists=[(_l("当前待办"), [(str(_l("办理中")), counts["open"]),
                                 (str(_l("5 个工作日内到期")), counts["soon"]),
                                 (str(_l("已超期")), counts["overdue"])])],
    )


def _calendar_changed(_sender: Any, **_extra: Any) -> None:
    """A day became a workday or a holiday: open cases' due dates are counted again."""
    workflow.recompute_open()


def init_app(app: Flask) -> None:
    for key, value in letters.DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(bp)
    app.register_blueprint(assets)
    register_nav(app, _l("依申请公开"), "disclosure_staff.index", *ROLES, order=55)
    register_panel(app, _panel, *ROLES, order=30)
    calendar_changed.connect(_calendar_changed)
