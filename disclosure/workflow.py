"""The life of an application for disclosure: filing, the Art 45 stages and their typed
decisions, the citizen's status lookup, the officer's look at personal data, and retention.

Plain arguments in, plain results out (no ``flask.request``). Every function that changes a
case commits before it returns and leaves an :class:`~disclosure.models.Event` row (actor,
time, reason, old and new values of what changed) plus an audit-log entry, in the same
transaction as the change. An action the rules do not allow raises
:class:`TransitionRefused` with a sentence for the officer; bad citizen input raises
:class:`InvalidApplication` with one message per field.

Stages: 接收 (received) → 登记 (registered) → 审核 (reviewing) → 办理 (processing) → 答复
(answered) → 归档 (archived); or closed (视为放弃) when a 补正 is not supplied in time.
Holds sit on top of a stage: ``supplement`` (waiting for the applicant, Art 30) and
``consultation`` (third party or other agency: the clock pauses, Art 32/34).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from disclosure.deadlines import (
    MAX_EXTENSION,
    compute_due,
    format_day,
    remaining_workdays,
    supplement_request_by,
)
from disclosure.models import (
    ApplicantType,
    Application,
    Channel,
    Event,
    Hold,
    NumberCounter,
    Stage,
)
from disclosure.personal import (
    ID_TYPE_LABELS,
    PersonalDataError,
    mask_address,
    mask_email,
    mask_id,
    mask_name,
    mask_phone,
    normalise_email,
    normalise_id,
    normalise_phone,
    phone_last4,
)
from disclosure.results import ART36_KINDS, RESULT_CODES, RESULT_LABELS
from hall import audit
from hall.calendar import WorkdayCalendar, load_calendar
from hall.crypto import seal, unseal
from hall.db import utcnow
from hall.extensions import db
from hall.timefmt import local_today

# --------------------------------------------------------------------------- labels

STAGE_LABELS: dict[str, Any] = {
    Stage.RECEIVED: _l("已接收"),
    Stage.REGISTERED: _l("已登记"),
    Stage.REVIEWING: _l("审核中"),
    Stage.PROCESSING: _l("办理中"),
    Stage.ANSWERED: _l("已答复"),
    Stage.ARCHIVED: _l("已归档"),
    Stage.CLOSED: _l("已终止（逾期未补正）"),
}
HOLD_LABELS: dict[str, Any] = {
    Hold.NONE: "",
    Hold.SUPPLEMENT: _l("等待申请人补正"),
    Hold.CONSULTATION: _l("征求意见中（期限暂停）"),
}
APPLICANT_TYPE_LABELS: dict[str, Any] = {
    ApplicantType.PERSON: _l("自然人"),
    ApplicantType.BUSINESS: _l("商业企业"),
    ApplicantType.RESEARCH: _l("科研机构"),
    ApplicantType.PUBLIC_INTEREST: _l("社会公益组织"),
    ApplicantType.LEGAL_SERVICE: _l("法律服务机构"),
    ApplicantType.OTHER_ORG: _l("其他组织"),
}
CHANNEL_LABELS: dict[str, Any] = {
    Channel.KIOSK: _l("自助终端"),
    Channel.COUNTER: _l("窗口当面提交"),
    Channel.POST: _l("邮寄"),
    Channel.ONLINE: _l("网上申请"),
    Channel.FAX: _l("传真"),
}
#: Art 29 (三): the form of the information, and how it reaches the applicant.
FORMATS: list[tuple[str, Any]] = [("paper", _l("纸质")), ("electronic", _l("电子文档"))]
DELIVERIES: list[tuple[str, Any]] = [
    ("pickup", _l("到大厅领取")), ("post", _l("邮寄")), ("email", _l("电子邮件"))]
CONSULTATION_KINDS: list[tuple[str, Any]] = [
    ("third_party", _l("征求第三方意见（第三十二条）")),
    ("agency", _l("征求其他机关意见（第三十四条）")),
]
#: The staff page's buttons, in workflow order (also the Event ``action`` codes, with "file").
ACTIONS: dict[str, Any] = {
    "register": _l("登记"),
    "start_review": _l("开始审核"),
    "request_supplement": _l("告知补正"),
    "receive_supplement": _l("收到补正材料"),
    "close_no_supplement": _l("逾期未补正，终止办理"),
    "start_processing": _l("开始办理"),
    "start_consultation": _l("征求意见（暂停计时）"),
    "end_consultation": _l("收到意见（恢复计时）"),
    "extend": _l("延长答复期限"),
    "answer": _l("答复"),
    "archive": _l("归档"),
}
EVENT_LABELS: dict[str, Any] = {"file": _l("提交申请"), **ACTIONS}
#: The fields :func:`reveal` opens, and their sealed columns.
PERSONAL_FIELDS: dict[str, str] = {
    "id_number": "id_sealed", "phone": "phone_sealed",
    "address": "address_sealed", "email": "email_sealed",
}
OPEN_STAGES: tuple[str, ...] = (Stage.RECEIVED, Stage.REGISTERED, Stage.REVIEWING,
                                Stage.PROCESSING)
#: Maximum lengths of the form's fields (characters, after cleaning).
MAX_LENGTHS: dict[str, int] = {
    "name": 100, "contact_person": 50, "id_number": 40, "phone": 30, "address": 200,
    "email": 100, "info_title": 300, "info_doc_number": 100, "info_description": 2000,
}
MAX_REPLY = 10000
MAX_REASON = 2000

_KIND_ROW = {code: row for code, _label, row in ART36_KINDS}
#: What the audit log calls each step (registered by ``disclosure.init_app``).
AUDIT_ACTIONS: dict[str, Any] = {
    "disclosure_file": _l("录入依申请公开申请"),
    **{f"disclosure_{code}": _l("依申请公开：%(step)s", step=label)
       for code, label in ACTIONS.items()},
    "disclosure_reveal": _l("查看申请人个人信息"),
    "disclosure_purge": _l("删除超期个人信息"),
}


# --------------------------------------------------------------------------- errors


class InvalidApplication(ValueError):
    """The form cannot be accepted; ``errors`` maps each field to a Chinese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class TransitionRefused(Exception):
    """The rules do not allow this step now; ``message`` says why (lazy Chinese)."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


# --------------------------------------------------------------------------- the form


@dataclass
class ApplicationInput:
    """What the applicant (or staff filling in for them) typed, as plain strings."""

    applicant_type: str = ApplicantType.PERSON.value
    name: str = ""
    contact_person: str = ""  # organisations: who to talk to
    id_type: str = "resident_id"
    id_number: str = ""
    phone: str = ""
    address: str = ""
    email: str = ""
    info_title: str = ""  # 所需信息的名称
    info_doc_number: str = ""  # 文号
    info_description: str = ""  # 特征性描述
    info_format: str = "paper"
    delivery: str = "pickup"
    consent: bool = False


_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F,
                       0xFEFF])
_MULTILINE = {"info_description", "address"}


def _clean_text(value: str, multiline: bool = False) -> str:
    """Control characters and direction overrides removed; spaces collapsed (newlines kept
    where the field is multi-line). HTML is left as text: it is escaped wherever shown."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n").translate(_BIDI)
    keep = "\n" if multiline else ""
    value = "".join(c if c in keep or unicodedata.category(c) != "Cc" else " " for c in value)
    if multiline:
        lines = [re.sub(r"[ \t\u3000]+", " ", line).strip() for line in value.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return re.sub(r"\s+", " ", value).strip()


def clean(inp: ApplicationInput) -> ApplicationInput:
    """A copy with every text field cleaned (see :func:`_clean_text`)."""
    changes: dict[str, Any] = {
        f.name: _clean_text(getattr(inp, f.name), f.name in _MULTILINE)
        for f in dataclasses.fields(inp) if isinstance(getattr(inp, f.name), str)}
    return dataclasses.replace(inp, **changes)


def _check(inp: ApplicationInput, today: dt.date) -> tuple[dict[str, str], dict[str, str]]:
    """(errors, normalised personal values) of a cleaned input."""
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(inp, name)) > limit:
            errors[name] = str(_l("不能超过 %(n)d 个字（现有 %(have)d 个）。", n=limit,
                                  have=len(getattr(inp, name))))
    if inp.applicant_type not in APPLICANT_TYPE_LABELS:
        errors["applicant_type"] = str(_l("请选择申请人类型：自然人或法人、其他组织。"))
    person = inp.applicant_type == ApplicantType.PERSON
    if not inp.name:
        errors.setdefault("name", str(_l("请填写姓名。") if person
                                      else _l("请填写法人或其他组织的名称。")))
    if not person and not inp.contact_person:
        errors.setdefault("contact_person", str(_l("请填写联系人姓名。")))
    if inp.id_type not in ID_TYPE_LABELS:
        errors["id_type"] = str(_l("请选择证件类型。"))
    elif "id_number" not in errors:
        try:
            values["id_number"] = normalise_id(inp.id_number, inp.id_type, today)
        except PersonalDataError as exc:
            errors[exc.field] = str(exc.message)
    if "phone" not in errors:
        try:
            values["phone"] = normalise_phone(inp.phone)
        except PersonalDataError as exc:
            errors["phone"] = str(exc.message)
    if inp.email and "email" not in errors:
        try:
            values["email"] = normalise_email(inp.email)
        except PersonalDataError as exc:
            errors["email"] = str(exc.message)
    if not inp.info_description:
        errors.setdefault("info_description", str(_l(
            "请描述所需的政府信息：名称、文号，或便于查找的内容特征。")))
    if inp.info_format not in dict(FORMATS):
        errors["info_format"] = str(_l("请选择信息的形式：纸质或电子文档。"))
    if inp.delivery not in dict(DELIVERIES):
        errors["delivery"] = str(_l("请选择获取信息的方式。"))
    elif inp.delivery == "email" and not inp.email:
        errors.setdefault("email", str(_l("选择电子邮件获取时，请填写电子邮箱。")))
    elif inp.delivery == "post" and not inp.address:
        errors.setdefault("address", str(_l("选择邮寄时，请填写通信地址。")))
    if not inp.consent:
        errors["consent"] = str(_l("请阅读个人信息使用说明，并勾选同意后再提交。"))
    return errors, values


def validate(inp: ApplicationInput, today: dt.date | None = None) -> dict[str, str]:
    """Field → Chinese message for everything wrong with the form (empty: acceptable).

    Checks what Art 29 requires (name, identity document, phone, a description of the
    information, its form and delivery), consent, e-mail for e-mail delivery, an address for
    post, and lengths. Control characters are stripped first; HTML stays plain text.
    """
    errors, _values = _check(clean(inp), today or local_today())
    return errors


# --------------------------------------------------------------------------- filing


def _next_seq(year: int) -> int:
    """Increment the year's counter and return the new number (the row stays locked by this
    transaction until it commits, so no two applications get the same number)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(NumberCounter).values(year=year, last=0)
                       .on_conflict_do_nothing(index_elements=["year"]))
    return db.session.execute(
        update(NumberCounter).where(NumberCounter.year == year)
        .values(last=NumberCounter.last + 1).returning(NumberCounter.last)).scalar_one()


def format_number(year: int, seq: int) -> str:
    return f"{year}-{seq:06d}"


def _by_request_key(request_key: str | None) -> Application | None:
    if not request_key:
        return None
    return db.session.scalar(select(Application).where(Application.request_key == request_key))


_SNAPSHOT_SKIP = {"id_sealed", "phone_sealed", "address_sealed", "email_sealed", "token",
                  "created_at", "updated_at", "deadline_note", "request_key"}


def _snapshot(app: Application) -> dict[str, Any]:
    """The case's columns for an Event's old/new, without sealed values or the token."""
    return {k: v for k, v in audit.snapshot(app).items() if k not in _SNAPSHOT_SKIP}


@contextmanager
def _default_locale() -> Iterator[None]:
    """Stored notes are written in the hall's language, whoever's page triggered them."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        yield


def file_application(inp: ApplicationInput, *, channel: str = Channel.KIOSK,
                     received_on: dt.date | None = None, actor: str = "",
                     assisted: bool = False, terminal: str = "",
                     request_key: str | None = None,
                     now: dt.datetime | None = None) -> Application:
    """Accept an application: number it (``2026-000123``, per year of receipt), seal the
    personal fields beside their masks, start the clock on ``received_on`` (Art 31; default
    today) and commit. The same ``request_key`` again returns the first application.

    :param actor: the staff member who entered it ('' for the applicant at a kiosk).
    :param assisted: staff filled the form in for the applicant (代为填写).
    :raises InvalidApplication: field → message.
    """
    now = now or utcnow()
    today = local_today(now)
    received_on = received_on or today
    request_key = (request_key or "")[:64] or None
    found = _by_request_key(request_key)
    if found is not None:
        return found
    if channel not in CHANNEL_LABELS:
        raise InvalidApplication({"channel": str(_l("请选择申请的提交方式。"))})
    if received_on > today:
        raise InvalidApplication({"received_on": str(_l("收到申请的日期不能晚于今天。"))})
    inp = clean(inp)
    errors, values = _check(inp, today)
    if errors:
        raise InvalidApplication(errors)
    cal = load_calendar()
    person = inp.applicant_type == ApplicantType.PERSON
    try:
        seq = _next_seq(received_on.year)
        app = Application(
            number=format_number(received_on.year, seq), year=received_on.year, seq=seq,
            channel=channel, received_on=received_on, assisted=assisted,
            created_by=actor[:100], terminal=terminal[:64], request_key=request_key,
            applicant_type=inp.applicant_type, name=inp.name,
            contact_person=inp.contact_person if not person else "",
            id_type=inp.id_type, id_sealed=seal(values["id_number"]),
            id_masked=mask_id(values["id_number"]),
            phone_sealed=seal(values["phone"]), phone_masked=mask_phone(values["phone"]),
            phone_last4=phone_last4(values["phone"]),
            address_sealed=seal(inp.address), address_masked=mask_address(inp.address)[:100],
            email_sealed=seal(values.get("email", "")),
            email_masked=mask_email(values.get("email", "")),
            consent_at=now, info_title=inp.info_title, info_doc_number=inp.info_doc_number,
            info_description=inp.info_description, info_format=inp.info_format,
            delivery=inp.delivery, stage=Stage.RECEIVED, hold=Hold.NONE,
            clock_start=received_on, paused_workdays=0, extension_workdays=0,
            reply_extra={}, created_at=now, updated_at=now)
        with _default_locale():
            app.due_on, app.deadline_note = compute_due(received_on, 0, 0, cal, today=today)
        db.session.add(app)
        db.session.flush()
        new = _snapshot(app)
        db.session.add(Event(application_id=app.id, at=now, actor=(actor or "申请人")[:100],
                             action="file", from_stage="", to_stage=Stage.RECEIVED,
                             reason=str(CHANNEL_LABELS[channel]), old=None,
                             new=new))
        if actor:
            audit.record("disclosure_file", obj_type="disclosure_application", obj_id=app.id,
                         label=app.number, new=new, actor_name=actor)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        found = _by_request_key(request_key)  # the same key won a race in another request
        if found is not None:
            return found
        raise
    return app


# --------------------------------------------------------------------------- transitions


def _refuse(message: Any) -> TransitionRefused:
    return TransitionRefused(message)


def _lock(app: Application) -> None:
    """Reload the case under a row lock (PostgreSQL), so two officers acting at once are
    serialised and the second sees the first one's stage."""
    db.session.refresh(app, with_for_update=True)


def _require_stage(app: Application, *stages: str) -> None:
    if app.stage not in stages:
        wanted = "、".join(str(STAGE_LABELS[s]) for s in stages)
        raise _refuse(_l("本申请当前为“%(now)s”，此操作只能在“%(wanted)s”时进行。",
                         now=STAGE_LABELS.get(app.stage, app.stage), wanted=wanted))


def _require_hold(app: Application, hold: str) -> None:
    if app.hold == hold:
        return
    if app.hold == Hold.SUPPLEMENT:
        raise _refuse(_l("本申请正在等待申请人补正，请先登记收到补正或按逾期未补正处理。"))
    if app.hold == Hold.CONSULTATION:
        raise _refuse(_l("本申请正在征求意见（期限暂停），请先登记收到意见。"))
    if hold == Hold.SUPPLEMENT:
        raise _refuse(_l("本申请没有待补正事项。"))
    raise _refuse(_l("本申请没有正在进行的征求意见。"))


def _require_actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor:
        raise _refuse(_l("请注明经办人。"))
    return actor[:100]


def _text(value: str, label: Any, limit: int = MAX_REASON, required: bool = True) -> str:
    value = _clean_text(value, multiline=True)
    if required and not value:
        raise _refuse(_l("请填写%(what)s。", what=label))
    if len(value) > limit:
        raise _refuse(_l("%(what)s不能超过 %(n)d 个字。", what=label, n=limit))
    return value


def _day(on: dt.date | None, today: dt.date, not_before: dt.date | None, label: Any
         ) -> dt.date:
    on = on or today
    if on > today:
        raise _refuse(_l("%(what)s不能晚于今天。", what=label))
    if not_before is not None and on < not_before:
        raise _refuse(_l("%(what)s不能早于 %(day)s。", what=label, day=format_day(not_before)))
    return on


def _consult_kinds(app: Application) -> tuple[str, str]:
    """(kind naming the finished pauses, kind of the running one): "" when mixed/none."""
    kinds = [str((e.new or {}).get("consultation", "")) for e in app.events
             if e.action == "start_consultation"]
    running = kinds[-1] if app.hold == Hold.CONSULTATION and kinds else ""
    finished = kinds[:-1] if running else kinds
    return (finished[0] if len(set(finished)) == 1 else ""), running


def _consult_kinds_before(app: Application) -> str:
    kinds = {str((e.new or {}).get("consultation", "")) for e in app.events
             if e.action == "start_consultation"}
    return kinds.pop() if len(kinds) == 1 else ""


def describe_deadline(app: Application, cal: WorkdayCalendar | None = None,
                      today: dt.date | None = None, *, running_kind: str | None = None
                      ) -> tuple[dt.date, str]:
    """The case's due date and its explanation now, in the current locale (the stored
    ``deadline_note`` is the one written at the last transition)."""
    cal = cal or load_calendar()
    today = today or local_today()
    if app.hold == Hold.SUPPLEMENT and app.supplement_due_on is not None:
        return app.due_on, str(_l(
            "已于 %(asked)s告知补正，申请人应于 %(due)s前补正；收到补正材料之日起重新计算 20 个"
            "工作日，逾期未补正视为放弃申请。",
            asked=format_day(app.supplement_requested_on or today),
            due=format_day(app.supplement_due_on)))
    finished, running = _consult_kinds(app)
    if running_kind is not None:  # a consultation starting now (its Event is not written yet)
        finished, running = _consult_kinds_before(app), running_kind
    restarted = (app.supplement_received_on is not None
                 and app.clock_start == app.supplement_received_on)
    return compute_due(app.clock_start, app.paused_workdays, app.extension_workdays, cal,
                       paused_on=app.paused_on, today=today, restarted=restarted,
                       pause_kind=finished, running_kind=running)


def _recompute(app: Application, cal: WorkdayCalendar, today: dt.date,
               running_kind: str | None = None) -> None:
    if app.stage not in OPEN_STAGES:
        return
    with _default_locale():
        app.due_on, app.deadline_note = describe_deadline(app, cal, today,
                                                          running_kind=running_kind)


def _finish(app: Application, actor: str, action: str, from_stage: str, reason: str,
            before: dict[str, Any], cal: WorkdayCalendar, today: dt.date,
            extra_new: dict[str, Any] | None = None) -> Application:
    """Recompute the deadline, write the Event and the audit entry, commit."""
    _recompute(app, cal, today, (extra_new or {}).get("consultation"))
    app.updated_at = utcnow()
    db.session.flush()
    old, new = audit.diff(before, _snapshot(app))
    if extra_new:
        new = {**(new or {}), **extra_new}
    db.session.add(Event(application_id=app.id, actor=actor, action=action,
                         from_stage=from_stage, to_stage=app.stage, reason=reason,
                         old=audit._plain(old), new=new))
    audit.record(f"disclosure_{action}", obj_type="disclosure_application", obj_id=app.id,
                 label=app.number, old=old, new=new, actor_name=actor)
    db.session.commit()
    db.session.refresh(app)
    return app


@contextmanager
def _step(app: Application, actor: str) -> Iterator[tuple[str, dict[str, Any], str]]:
    """Lock the case and yield (actor, snapshot before, stage before); roll back on refusal."""
    actor = _require_actor(actor)
    _lock(app)
    try:
        yield actor, _snapshot(app), app.stage
    except BaseException:
        db.session.rollback()
        raise


def register(app: Application, actor: str, *, reason: str = "",
             assignee: str | None = None, today: dt.date | None = None) -> Application:
    """接收 → 登记: the case is entered in the register (optionally assigned)."""
    today = today or local_today()
    with _step(app, actor) as (actor, before, from_stage):
        _require_stage(app, Stage.RECEIVED)
        reason = _text(reason, _l("说明"), required=False)
        app.stage = Stage.REGISTERED
        if assignee is not None:
            app.assignee = assignee.strip()[:100]
        return _finish(app, actor, "register", from_stage, reason, before, load_calendar(),
                       today)


def start_review(app: Application, actor: str, *, reason: str = "",
                 today: dt.date | None = None) -> Application:
    """登记 → 审核: check the application is complete and clear (else ask to supplement)."""
    today = today or local_today()
    with _step(app, actor) as (actor, before, from_stage):
        _require_stage(app, Stage.REGISTERED)
        reason = _text(reason, _l("说明"), required=False)
        app.stage = Stage.REVIEWING
        return _finish(app, actor, "start_review", from_stage, reason, before,
                       load_calendar(), today)


def start_processing(app: Application, actor: str, *, reason: str = "",
                     today: dt.date | None = None) -> Application:
    """审核 → 办理: the request is clear; search for the information and decide."""
    today = today or local_today()
    with _step(app, actor) as (actor, before, from_stage):
        _require_stage(app, Stage.REVIEWING)
        _require_hold(app, Hold.NONE)
        reason = _text(reason, _l("说明"), required=False)
        app.stage = Stage.PROCESSING
        return _finish(app, actor, "start_processing", from_stage, reason, before,
                       load_calendar(), today)


def request_supplement(app: Application, actor: str, what: str,
                       due_on: dt.date | None = None, *,
                       today: dt.date | None = None) -> Application:
    """Tell the applicant, once, what to supplement and by when (Art 30). Only within 7
    working days of receipt; ``due_on`` defaults to ``DISCLOSURE_SUPPLEMENT_DAYS`` working
    days from today. The reply clock restarts when the supplement arrives."""
    today = today or local_today()
    cal = load_calendar()
    with _step(app, actor) as (actor, before, from_stage):
        _require_stage(app, Stage.RECEIVED, Stage.REGISTERED, Stage.REVIEWING)
        _require_hold(app, Hold.NONE)
        if app.supplement_requested_on is not None:
            raise _refuse(_l("补正只能一次性告知（第三十条），本申请已于 %(day)s告知过补正。",
                             day=format_day(app.supplement_requested_on)))
        last = supplement_request_by(app.received_on, cal)
        if today > last:
            raise _refuse(_l("告知补正应在收到申请之日起 7 个工作日内（本申请最晚为 %(day)s），"
                             "现已逾期。", day=format_day(last)))
        what = _text(what, _l("需要补正的内容"))
        days = int(current_app.config.get("DISCLOSURE_SUPPLEMENT_DAYS", 15))
        due_on = due_on or cal.add_workdays(today, days)
        if due_on <= today:
            raise _refuse(_l("补正期限应晚于今天。"))
        app.hold = Hold.SUPPLEMENT
        app.supplement_requested_on = today
        app.supplement_due_on = due_on
        app.supplement_request = what
        return _finish(app, actor, "request_supplement", from_stage, what, before, cal, today)


def receive_supplement(app: Application, actor: str, on: dt.date | None = None, *,
                       reason: str = "", today: dt.date | None = None) -> Application:
    """The supplement arrived on ``on``: the 20 working days start again from that day."""
    today = today or local_today()
    with _step(app, actor) as (actor, before, from_stage):
        _require_hold(app, Hold.SUPPLEMENT)
        on = _day(on, today, app.supplement_requested_on, _l("收到补正材料的日期"))
        if app.supplement_due_on is not None and on > app.supplement_due_on:
            raise _refuse(_l("补正期限（%(day)s）已过，视为放弃申请；请按逾期未补正终止办理。",
                             day=format_day(app.supplement_due_on)))
        reason = _text(reason, _l("说明"), required=False)
        app.hold = Hold.NONE
        app.supplement_received_on = on
        app.clock_start = on
        app.paused_workdays = 0
        app.paused_on = None
        return _finish(app, actor, "receive_supplement", from_stage, reason, before,
                       load_calendar(), today)


def close_no_supplement(app: Application, actor: str, today: dt.date | None = None, *,
                        reason: str = "") -> Application:
    """No supplement by its due date: the application is deemed withdrawn (视为放弃申请); it
    counts in the report as 其他处理 1."""
    today = today or local_today()
    with _step(app, actor) as (actor, before, from_stage):
        _require_hold(app, Hold.SUPPLEMENT)
        if app.supplement_due_on is not None and today <= app.supplement_due_on:
            raise _refuse(_l("补正期限为 %(day)s，期限届满后才能终止办理。",
                             day=format_day(app.supplement_due_on)))
        reason = _text(reason, _l("说明"), required=False) or str(
            _l("申请人逾期未补正，视为放弃申请。"))
        app.hold = Hold.NONE
        app.stage = Stage.CLOSED
        app.result = "other_no_supplement"
        app.closed_on = today
        return _finish(app, actor, "close_no_supplement", from_stage, reason, before,
                       load_calendar(), today)


def start_consultation(app: Application, actor: str, kind: str, reason: str,
                       on: dt.date | None = None, *,
                       today: dt.date | None = None) -> Application:
    """Consult a third party (Art 32) or another agency (Art 34) from ``on``: the clock
    pauses until :func:`end_consultation`."""
    today = today or local_today()
    with _step(app, actor) as (actor, before, from_stage):
        _require_stage(app, Stage.REGISTERED, Stage.REVIEWING, Stage.PROCESSING)
        _require_hold(app, Hold.NONE)
        if kind not in dict(CONSULTATION_KINDS):
            raise _refuse(_l("请选择征求意见的对象：第三方或其他机关。"))
        reason = _text(reason, _l("征求意见的理由"))
        on = _day(on, today, app.clock_start, _l("开始征求意见的日期"))
        app.hold = Hold.CONSULTATION
        app.paused_on = on
        return _finish(app, actor, "start_consultation", from_stage, reason, before,
                       load_calendar(), today, extra_new={"consultation": kind})


def end_consultation(app: Application, actor: str, on: dt.date | None = None, *,
                     reason: str = "", today: dt.date | None = None) -> Application:
    """The view arrived (or the time for it ran out) on ``on``: the working days after the
    pause began up to ``on`` are added to the deadline, and the clock runs again."""
    today = today or local_today()
    cal = load_calendar()
    with _step(app, actor) as (actor, before, from_stage):
        _require_hold(app, Hold.CONSULTATION)
        assert app.paused_on is not None
        on = _day(on, today, app.paused_on, _l("收到意见的日期"))
        reason = _text(reason, _l("说明"), required=False)
        app.paused_workdays += cal.workdays_between(app.paused_on, on)
        app.paused_on = None
        app.hold = Hold.NONE
        return _finish(app, actor, "end_consultation", from_stage, reason, before, cal, today)


def extend(app: Application, actor: str, workdays: int, approved_by: str, reason: str, *,
           today: dt.date | None = None) -> Application:
    """An extension approved by the head of the disclosure office (Art 33): once, at most
    20 working days, before the deadline has passed; the applicant must be told."""
    today = today or local_today()
    with _step(app, actor) as (actor, before, from_stage):
        _require_stage(app, *OPEN_STAGES)
        if app.hold == Hold.SUPPLEMENT:
            _require_hold(app, Hold.NONE)
        if app.extension_workdays:
            raise _refuse(_l("答复期限只能延长一次，本申请已延长 %(n)d 个工作日。",
                             n=app.extension_workdays))
        if not 1 <= int(workdays) <= MAX_EXTENSION:
            raise _refuse(_l("延长期限应为 1 至 %(n)d 个工作日。", n=MAX_EXTENSION))
        approved_by = _text(approved_by, _l("批准人"), limit=100)
        reason = _text(reason, _l("延长理由"))
        if app.hold != Hold.CONSULTATION and today > app.due_on:
            raise _refuse(_l("答复期限（%(day)s）已过，不能再延长。", day=format_day(app.due_on)))
        app.extension_workdays = int(workdays)
        app.extension_approved_by = approved_by
        return _finish(app, actor, "extend", from_stage, reason, before, load_calendar(),
                       today)


def _answer_result(app: Application, kind: str, result: str) -> str:
    if kind not in _KIND_ROW:
        raise _refuse(_l("请选择答复类型。"))
    fixed = _KIND_ROW[kind]
    if kind == "deny":
        if not result.startswith("deny_") or result not in RESULT_CODES:
            raise _refuse(_l("不予公开时，请选择不予公开的理由。"))
        return result
    if result and result != fixed:
        raise _refuse(_l("答复类型与办理结果不一致，请重新选择。"))
    if kind == "unclear" and app.supplement_received_on is None:
        raise _refuse(_l("“补正后申请内容仍不明确”只适用于已经补正过的申请。"))
    return fixed


def answer(app: Application, actor: str, kind: str, result: str = "",
           reply_text: str = "", extra: dict[str, Any] | None = None,
           on: dt.date | None = None, *, today: dt.date | None = None) -> Application:
    """Reply (Art 36) on ``on``: ``kind`` is an ``ART36_KINDS`` code; ``result`` the report's
    row, derived from the kind when the kind fixes it (不予公开 needs one of its 8 reasons);
    ``extra`` holds what the kind names (where it is published, the competent agency …)."""
    today = today or local_today()
    with _step(app, actor) as (actor, before, from_stage):
        _require_stage(app, Stage.REGISTERED, Stage.REVIEWING, Stage.PROCESSING)
        _require_hold(app, Hold.NONE)
        code = _answer_result(app, kind, result or "")
        reply_text = _text(reply_text, _l("答复内容"), limit=MAX_REPLY)
        details: dict[str, Any] = {"kind": kind}
        for key, value in (extra or {}).items():
            if not isinstance(key, str) or len(key) > 30:
                raise _refuse(_l("答复的附加信息有误。"))
            details[key] = _text(str(value), key, limit=1000, required=False)
        on = _day(on, today, app.received_on, _l("答复日期"))
        app.stage = Stage.ANSWERED
        app.result = code
        app.reply_text = reply_text
        app.reply_extra = details
        app.replied_on = on
        app.replied_by = actor
        return _finish(app, actor, "answer", from_stage, str(RESULT_LABELS[code]), before,
                       load_calendar(), today)


def archive(app: Application, actor: str, *, reason: str = "",
            today: dt.date | None = None) -> Application:
    """答复 (or closed) → 归档: the file is complete; retention counts from today."""
    today = today or local_today()
    with _step(app, actor) as (actor, before, from_stage):
        _require_stage(app, Stage.ANSWERED, Stage.CLOSED)
        reason = _text(reason, _l("说明"), required=False)
        app.stage = Stage.ARCHIVED
        app.archived_on = today
        return _finish(app, actor, "archive", from_stage, reason, before, load_calendar(),
                       today)


def allowed_actions(app: Application, today: dt.date | None = None) -> list[str]:
    """The ``ACTIONS`` codes the rules allow now, in workflow order (the staff page's
    buttons; the functions still check everything again)."""
    today = today or local_today()
    stage, hold = app.stage, app.hold
    out: list[str] = []
    if stage == Stage.RECEIVED:
        out.append("register")
    if stage == Stage.REGISTERED:
        out.append("start_review")
    if hold == Hold.SUPPLEMENT:
        due = app.supplement_due_on
        if due is None or today <= due:
            out.append("receive_supplement")
        if due is None or today > due:
            out.append("close_no_supplement")
    if (stage in (Stage.RECEIVED, Stage.REGISTERED, Stage.REVIEWING) and hold == Hold.NONE
            and app.supplement_requested_on is None
            and today <= supplement_request_by(app.received_on, load_calendar())):
        out.append("request_supplement")
    if stage == Stage.REVIEWING and hold == Hold.NONE:
        out.append("start_processing")
    if stage in (Stage.REGISTERED, Stage.REVIEWING, Stage.PROCESSING):
        if hold == Hold.NONE:
            out.append("start_consultation")
        if hold == Hold.CONSULTATION:
            out.append("end_consultation")
    if (stage in OPEN_STAGES and hold != Hold.SUPPLEMENT and not app.extension_workdays
            and (hold == Hold.CONSULTATION or today <= app.due_on)):
        out.append("extend")
    if stage in (Stage.REGISTERED, Stage.REVIEWING, Stage.PROCESSING) and hold == Hold.NONE:
        out.append("answer")
    if stage in (Stage.ANSWERED, Stage.CLOSED):
        out.append("archive")
    return [code for code in ACTIONS if code in out]


# --------------------------------------------------------------------------- citizens


def _normalise_number(raw: str) -> str | None:
    text = re.sub(r"\s+", "", (raw or "").translate(
        {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}))
    match = re.fullmatch(r"(\d{4})[-－—]?(\d{1,6})", text)
    if not match:
        return None
    return format_number(int(match.group(1)), int(match.group(2)))


def lookup(number: str, phone_last4: str) -> Application | None:
    """The application with this number whose phone ends in these four digits, else None
    (the caller cannot tell which of the two was wrong)."""
    key = _normalise_number(number)
    digits = re.sub(r"\D", "", (phone_last4 or "").translate(
        {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}))
    if key is None or len(digits) != 4:
        return None
    app = db.session.scalar(select(Application).where(Application.number == key))
    if app is None or not app.phone_last4:
        return None
    if not hmac.compare_digest(app.phone_last4.encode(), digits.encode()):
        return None
    return app


def by_token(token: str) -> Application | None:
    """The application of a receipt's QR token, else None."""
    token = (token or "").strip()
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Application).where(Application.token == token))


def public_status(app: Application, today: dt.date | None = None) -> dict[str, Any]:
    """What a citizen may see of a case: number, stage, dates, hold, result — nothing
    personal. Dates are ISO strings; labels are translated in the current locale."""
    today = today or local_today()
    paused = app.hold == Hold.CONSULTATION
    open_case = app.stage in OPEN_STAGES
    days_left: int | None = None
    if open_case and app.hold != Hold.SUPPLEMENT:
        days_left = remaining_workdays(app.clock_start, app.paused_workdays,
                                       app.extension_workdays, load_calendar(),
                                       app.paused_on, today)
    if paused:
        due_label = str(_l("暂停中（恢复计算后尚余 %(n)d 个工作日）", n=max(0, days_left or 0)))
    elif app.hold == Hold.SUPPLEMENT:
        due_label = str(_l("等待补正（补正期限 %(day)s），收到补正后重新计算",
                           day=format_day(app.supplement_due_on or today)))
    elif app.stage == Stage.CLOSED:
        due_label = ""
    else:
        due_label = format_day(app.due_on)
    return {
        "number": app.number,
        "stage": app.stage,
        "stage_label": str(STAGE_LABELS.get(app.stage, app.stage)),
        "received_on": app.received_on.isoformat(),
        "due_on": None if paused or app.hold == Hold.SUPPLEMENT or app.stage == Stage.CLOSED
        else app.due_on.isoformat(),
        "due_label": due_label,
        "days_left": days_left,
        "hold": app.hold,
        "hold_label": str(HOLD_LABELS.get(app.hold, "")),
        "paused": paused,
        "supplement_due_on": app.supplement_due_on.isoformat()
        if app.hold == Hold.SUPPLEMENT and app.supplement_due_on else None,
        "extended": app.extension_workdays > 0,
        "replied_on": app.replied_on.isoformat() if app.replied_on else None,
        "closed_on": app.closed_on.isoformat() if app.closed_on else None,
        "result": app.result,
        "result_label": _plain_label(app.result),
    }


def _plain_label(result: str) -> str:
    """A result as a citizen reads it: the report's label without its numbering
    ("（一）予以公开" → "予以公开", "1.属于国家秘密" → "属于国家秘密")."""
    if result not in RESULT_LABELS:
        return ""
    label = re.sub(r"^(（[一二三四五六七]）|\d+\.)", "", str(RESULT_LABELS[result]))
    return label.split("（区分处理")[0]  # the report's counting note is not for citizens


# --------------------------------------------------------------------------- staff only


def reveal(app: Application, actor: str, field: str) -> str:
    """The unsealed value of a personal field for the officer handling the case; the look
    is written to the audit log (and committed) whether or not the value could be read.

    :raises ValueError: an unknown field.
    :raises PersonalDataError: the value was removed (retention) or cannot be decrypted.
    """
    column = PERSONAL_FIELDS.get(field)
    if column is None:
        raise ValueError(f"not a personal field: {field}")
    actor = _require_actor(actor)
    value = None if app.purged_on else unseal(getattr(app, column))
    audit.record("disclosure_reveal", obj_type="disclosure_application", obj_id=app.id,
                 label=app.number, new={"field": field, "readable": value is not None},
                 actor_name=actor)
    db.session.commit()
    if app.purged_on is not None:
        raise PersonalDataError(field, _l("已超过保存期限，个人信息已于 %(day)s删除。",
                                          day=format_day(app.purged_on)))
    if value is None:
        raise PersonalDataError(field, _l("无法解密：加密密钥已更换，请联系系统管理员。"))
    return value


def _open_running() -> Any:
    return select(Application).where(Application.stage.in_(OPEN_STAGES),
                                     Application.hold == Hold.NONE)


def due_soon(today: dt.date | None = None, days: int = 5) -> list[Application]:
    """Open cases whose clock runs and whose reply is due within ``days`` working days
    (today included), soonest first."""
    today = today or local_today()
    until = load_calendar().add_workdays(today, days)
    return list(db.session.scalars(
        _open_running().where(Application.due_on >= today, Application.due_on <= until)
        .order_by(Application.due_on, Application.id)))


def overdue(today: dt.date | None = None) -> list[Application]:
    """Open cases whose clock runs and whose reply date has passed, most overdue first."""
    today = today or local_today()
    return list(db.session.scalars(
        _open_running().where(Application.due_on < today)
        .order_by(Application.due_on, Application.id)))


def recompute_open(today: dt.date | None = None) -> int:
    """Recompute the due date of every open case (after staff change the working-day
    calendar); how many changed. No Event: the case did not move, the calendar did."""
    today = today or local_today()
    cal = load_calendar()
    changed = 0
    for app in db.session.scalars(select(Application).where(
            Application.stage.in_(OPEN_STAGES))):
        due = app.due_on
        _recompute(app, cal, today)
        changed += app.due_on != due
    db.session.commit()
    return changed


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def purge_expired(today: dt.date | None = None, years: int | None = None) -> int:
    """Remove the personal data of cases archived more than ``years`` ago (default
    ``DISCLOSURE_RETENTION_YEARS``): sealed fields emptied, names masked; the masked forms,
    the request, the reply and the history stay. How many cases were purged."""
    today = today or local_today()
    if years is None:
        years = int(current_app.config.get("DISCLOSURE_RETENTION_YEARS", 10))
    cutoff = _years_before(today, years)
    apps = list(db.session.scalars(select(Application).where(
        Application.stage == Stage.ARCHIVED, Application.archived_on.is_not(None),
        Application.archived_on <= cutoff, Application.purged_on.is_(None))))
    for app in apps:
        app.id_sealed = app.phone_sealed = app.address_sealed = app.email_sealed = ""
        app.name = mask_name(app.name, app.applicant_type)
        app.contact_person = mask_name(app.contact_person)
        app.purged_on = today
    if apps:
        audit.record("disclosure_purge", obj_type="disclosure_application",
                     label=f"{len(apps)}", new={"numbers": [a.number for a in apps],
                                                "archived_before": cutoff.isoformat()},
                     actor_name="系统")
    db.session.commit()
    return len(apps)
