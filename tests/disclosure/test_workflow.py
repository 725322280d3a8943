"""The disclosure workflow: filing, every transition allowed or refused per stage with its
Event row, 补正 / consultation / extension on the 2026 calendar, the citizen's lookup, the
officer's look at personal data, due lists, retention, and the demo."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from disclosure import demo, workflow
from disclosure.models import Application, Channel, Event, Hold, Stage
from disclosure.personal import PersonalDataError
from disclosure.workflow import InvalidApplication, TransitionRefused
from hall.calendar import set_override
from hall.crypto import unseal
from hall.extensions import db
from hall.models import AuditEntry
from tests.disclosure.support import (
    PHONE,
    VALID_ID,
    WORKDAY,
    answered,
    file_one,
    make_input,
    org_input,
    to_processing,
)

D = dt.date
OFFICER = "officer1"


def _events(app: Application) -> list[Event]:
    return list(db.session.scalars(select(Event).where(Event.application_id == app.id)
                                   .order_by(Event.id)))


# --------------------------------------------------------------------------- filing


def test_filing_numbers_seals_masks_and_starts_the_clock(app: Flask) -> None:
    case = file_one(D(2026, 9, 30))
    assert case.number == "2026-000001" and case.seq == 1 and case.year == 2026
    assert case.stage == Stage.RECEIVED and case.hold == Hold.NONE
    assert case.received_on == case.clock_start == D(2026, 9, 30)
    assert case.due_on == D(2026, 11, 3)
    assert "20 个工作日为 11月3日" in case.deadline_note
    # Sealed at rest, masked for display; the sealed value opens to the normalised one.
    assert VALID_ID not in case.id_sealed and PHONE not in case.phone_sealed
    assert unseal(case.id_sealed) == VALID_ID and unseal(case.phone_sealed) == PHONE
    assert case.id_masked == "110105********002X"
    assert case.phone_masked == "138****5678" and case.phone_last4 == "5678"
    assert case.address_masked == "江西省赣州市章贡区沙石镇"
    assert "吉埠村" in (unseal(case.address_sealed) or "")
    assert case.email_sealed == "" and case.email_masked == ""
    assert case.consent_at is not None and len(case.token) >= 16
    (event,) = _events(case)
    assert (event.action, event.from_stage, event.to_stage) == ("file", "", Stage.RECEIVED)
    assert event.actor == "申请人" and event.at is not None
    assert event.new is not None and event.new["id_masked"] == "110105********002X"
    assert "id_sealed" not in event.new and "token" not in event.new


def test_numbers_count_per_year_of_receipt(app: Flask) -> None:
    numbers = [file_one(D(2025, 12, 30)).number, file_one(D(2025, 12, 31)).number,
               file_one(D(2026, 1, 5)).number, file_one(D(2026, 1, 5)).number]
    assert numbers == ["2025-000001", "2025-000002", "2026-000001", "2026-000002"]


def test_same_request_key_gives_the_same_application(app: Flask) -> None:
    first = workflow.file_application(make_input(), request_key="k-1")
    again = workflow.file_application(make_input(name="李四"), request_key="k-1")
    assert again.id == first.id and again.name == "张三"
    assert db.session.scalar(select(func.count(Application.id))) == 1


def test_staff_entry_keeps_its_own_received_day_and_is_audited(app: Flask) -> None:
    case = workflow.file_application(
        org_input(delivery="post"), channel=Channel.POST, received_on=D(2026, 11, 20),
        actor="clerk7", assisted=True,
        now=dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC))
    assert case.received_on == D(2026, 11, 20) and case.channel == Channel.POST
    assert case.assisted and case.created_by == "clerk7"
    assert case.name == "赣州市章贡区某某建材有限公司" and case.contact_person == "李四"
    assert _events(case)[0].actor == "clerk7"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "disclosure_file"))
    assert entry is not None and entry.actor_name == "clerk7" and entry.object_label == case.number


def test_received_day_in_the_future_is_refused(app: Flask) -> None:
    with pytest.raises(InvalidApplication) as caught:
        workflow.file_application(make_input(), received_on=D(2026, 11, 26),
                                  now=dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC))
    assert "received_on" in caught.value.errors


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"id_number": "110105194912310021"}, "id_number", "校验位"),
    ({"id_number": "110105194902310026"}, "id_number", "出生日期"),
    ({"info_description": "  "}, "info_description", "请描述"),
    ({"name": ""}, "name", "姓名"),
    ({"phone": "12"}, "phone", "手机号码"),
    ({"consent": False}, "consent", "同意"),
    ({"delivery": "email"}, "email", "电子邮箱"),
    ({"delivery": "post", "address": ""}, "address", "通信地址"),
    ({"delivery": "fax"}, "delivery", "获取信息的方式"),
    ({"info_format": "vinyl"}, "info_format", "形式"),
    ({"applicant_type": "alien"}, "applicant_type", "申请人类型"),
    ({"id_type": "library"}, "id_type", "证件类型"),
    ({"info_description": "查" * 10000}, "info_description", "2000"),
    ({"name": "张" * 10000}, "name", "100"),
    ({"email": "not-an-email"}, "email", "格式"),
])
def test_bad_input_gets_a_clear_message(app: Flask, fields: dict[str, Any], field: str,
                                        words: str) -> None:
    errors = workflow.validate(make_input(**fields), today=WORKDAY)
    assert field in errors and words in errors[field], errors
    with pytest.raises(InvalidApplication) as caught:
        workflow.file_application(make_input(**fields))
    assert caught.value.errors[field] == errors[field]
    assert db.session.scalar(select(func.count(Application.id))) == 0


def test_an_organisation_needs_a_contact_person(app: Flask) -> None:
    errors = workflow.validate(org_input(contact_person=""), today=WORKDAY)
    assert list(errors) == ["contact_person"]
    assert workflow.validate(org_input(), today=WORKDAY) == {}


def test_every_long_field_is_limited(app: Flask) -> None:
    long = {name: "x" * (limit + 1) for name, limit in workflow.MAX_LENGTHS.items()
            if name not in ("id_number", "phone", "email")}
    errors = workflow.validate(make_input(**long), today=WORKDAY)
    assert set(long) <= set(errors)


def test_html_stays_text_and_control_characters_go(app: Flask) -> None:
    case = file_one(info_description="<script>alert(1)</script>\x00\x1b第一行\r\n\u202e第二行",
                    name=" 张\t三\x07 ")
    assert case.info_description == "<script>alert(1)</script> 第一行\n第二行"
    assert case.name == "张 三"


# --------------------------------------------------------------------------- transitions

#: Valid arguments of each action on the WORKDAY (2026-11-25) for a case received that day.
ACTIONS: dict[str, Callable[[Application], Application]] = {
    "register": lambda a: workflow.register(a, OFFICER, today=WORKDAY),
    "start_review": lambda a: workflow.start_review(a, OFFICER, today=WORKDAY),
    "start_processing": lambda a: workflow.start_processing(a, OFFICER, today=WORKDAY),
    "request_supplement": lambda a: workflow.request_supplement(
        a, OFFICER, "请写明文号。", today=WORKDAY),
    "receive_supplement": lambda a: workflow.receive_supplement(a, OFFICER, WORKDAY,
                                                                today=WORKDAY),
    "close_no_supplement": lambda a: workflow.close_no_supplement(a, OFFICER, WORKDAY),
    "start_consultation": lambda a: workflow.start_consultation(
        a, OFFICER, "third_party", "涉及第三方商业秘密。", WORKDAY, today=WORKDAY),
    "end_consultation": lambda a: workflow.end_consultation(a, OFFICER, WORKDAY,
                                                            today=WORKDAY),
    "extend": lambda a: workflow.extend(a, OFFICER, 5, "主任", "信息量大。", today=WORKDAY),
    "answer": lambda a: workflow.answer(a, OFFICER, "disclose", "", "予以公开。", {},
                                        WORKDAY, today=WORKDAY),
    "archive": lambda a: workflow.archive(a, OFFICER, today=WORKDAY),
}


def _in_state(state: str) -> Application:
    case = file_one(WORKDAY)
    chain = {
        "received": [],
        "registered": ["register"],
        "reviewing": ["register", "start_review"],
        "processing": ["register", "start_review", "start_processing"],
        "supplement": ["register", "start_review", "request_supplement"],
        "consultation": ["register", "start_review", "start_processing",
                         "start_consultation"],
        "answered": ["register", "start_review", "start_processing", "answer"],
        "archived": ["register", "start_review", "start_processing", "answer", "archive"],
    }[state]
    for action in chain:
        case = ACTIONS[action](case)
    return case


ALLOWED: dict[str, set[str]] = {
    "received": {"register", "request_supplement", "extend"},
    "registered": {"start_review", "request_supplement", "start_consultation", "extend",
                   "answer"},
    "reviewing": {"request_supplement", "start_processing", "start_consultation", "extend",
                  "answer"},
    "processing": {"start_consultation", "extend", "answer"},
    "supplement": {"receive_supplement"},  # close only once the supplement is overdue
    "consultation": {"end_consultation", "extend"},
    "answered": {"archive"},
    "archived": set(),
}


@pytest.mark.parametrize("state", list(ALLOWED))
def test_allowed_actions_per_state(app: Flask, state: str) -> None:
    assert set(workflow.allowed_actions(_in_state(state), today=WORKDAY)) == ALLOWED[state]


@pytest.mark.parametrize(("state", "action"),
                         [(s, a) for s in ALLOWED for a in ACTIONS])
def test_every_action_is_done_or_refused_as_allowed(app: Flask, state: str,
                                                    action: str) -> None:
    case = _in_state(state)
    before_events = len(_events(case))
    before_stage, before_hold = case.stage, case.hold
    if action in ALLOWED[state]:
        done = ACTIONS[action](case)
        events = _events(done)
        assert len(events) == before_events + 1
        event = events[-1]
        assert event.action == action and event.actor == OFFICER
        assert event.from_stage == before_stage and event.to_stage == done.stage
        assert event.at is not None
        assert event.old is not None and event.new is not None
        assert set(event.old) <= set(event.new) | {"consultation"}
        audit = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == f"disclosure_{action}").order_by(AuditEntry.id.desc()))
        assert audit is not None and audit.object_id == str(case.id)
    else:
        with pytest.raises(TransitionRefused) as caught:
            ACTIONS[action](case)
        assert str(caught.value.message)  # a sentence for the officer
        db.session.expire_all()
        assert (case.stage, case.hold) == (before_stage, before_hold)
        assert len(_events(case)) == before_events


def test_event_records_old_and_new_values_and_reason(app: Flask) -> None:
    case = to_processing(file_one(D(2026, 9, 30)), today=D(2026, 9, 30))
    workflow.extend(case, "officer2", 10, "政务公开办主任 钟华", "涉及多个年度，需汇总。",
                    today=D(2026, 10, 20))
    event = _events(case)[-1]
    assert event.action == "extend" and event.actor == "officer2"
    assert event.reason == "涉及多个年度，需汇总。"
    assert event.old == {"extension_workdays": 0, "extension_approved_by": "",
                         "due_on": "2026-11-03"}
    assert event.new == {"extension_workdays": 10,
                         "extension_approved_by": "政务公开办主任 钟华",
                         "due_on": "2026-11-17"}
    assert case.due_on == D(2026, 11, 17)
    assert case.deadline_note.endswith("经批准延长 10 个工作日 → 11月17日")


def test_an_actor_is_required(app: Flask) -> None:
    case = file_one()
    with pytest.raises(TransitionRefused):
        workflow.register(case, "  ", today=WORKDAY)


# --------------------------------------------------------------------------- 补正


def test_supplement_restarts_the_clock(app: Flask) -> None:
    case = file_one(D(2026, 9, 28))  # Mon; due 10-30 before any supplement
    workflow.register(case, OFFICER, today=D(2026, 9, 28))
    case = workflow.request_supplement(case, OFFICER, "请提供文号。", today=D(2026, 10, 13))
    assert case.hold == Hold.SUPPLEMENT
    assert case.supplement_requested_on == D(2026, 10, 13)
    # default: DISCLOSURE_SUPPLEMENT_DAYS (15) working days from the request
    assert case.supplement_due_on == D(2026, 11, 3)
    assert "告知补正" in case.deadline_note
    case = workflow.receive_supplement(case, OFFICER, D(2026, 10, 16), today=D(2026, 10, 19))
    assert case.hold == Hold.NONE and case.clock_start == D(2026, 10, 16)
    assert case.supplement_received_on == D(2026, 10, 16)
    assert case.due_on == D(2026, 11, 13)
    assert "2026年10月16日（收到补正材料）" in case.deadline_note
    event = _events(case)[-1]
    assert event.old is not None and event.old["clock_start"] == "2026-09-28"
    assert event.new is not None and event.new["clock_start"] == "2026-10-16"


def test_supplement_only_within_seven_working_days(app: Flask) -> None:
    case = file_one(D(2026, 9, 28))
    with pytest.raises(TransitionRefused) as caught:
        workflow.request_supplement(case, OFFICER, "请提供文号。", today=D(2026, 10, 14))
    assert "7 个工作日" in str(caught.value.message) and "10月13日" in str(caught.value.message)
    assert "request_supplement" not in workflow.allowed_actions(case, today=D(2026, 10, 14))
    assert "request_supplement" in workflow.allowed_actions(case, today=D(2026, 10, 13))


def test_supplement_only_once(app: Flask) -> None:
    case = file_one(D(2026, 11, 23))
    case = workflow.request_supplement(case, OFFICER, "请提供文号。", today=D(2026, 11, 24))
    case = workflow.receive_supplement(case, OFFICER, D(2026, 11, 25), today=WORKDAY)
    with pytest.raises(TransitionRefused) as caught:
        workflow.request_supplement(case, OFFICER, "再补一次。", today=WORKDAY)
    assert "一次性" in str(caught.value.message)


def test_supplement_due_date_must_be_later_and_late_supplement_is_refused(app: Flask) -> None:
    case = file_one(WORKDAY)
    with pytest.raises(TransitionRefused):
        workflow.request_supplement(case, OFFICER, "文号", WORKDAY, today=WORKDAY)
    case = workflow.request_supplement(case, OFFICER, "文号", D(2026, 12, 2), today=WORKDAY)
    with pytest.raises(TransitionRefused) as caught:
        workflow.receive_supplement(case, OFFICER, D(2026, 12, 3), today=D(2026, 12, 3))
    assert "视为放弃" in str(caught.value.message)
    with pytest.raises(TransitionRefused):  # before the request is impossible
        workflow.receive_supplement(case, OFFICER, D(2026, 11, 24), today=WORKDAY)


def test_no_supplement_in_time_closes_the_case(app: Flask) -> None:
    case = file_one(WORKDAY)
    case = workflow.request_supplement(case, OFFICER, "文号", D(2026, 12, 2), today=WORKDAY)
    with pytest.raises(TransitionRefused) as caught:
        workflow.close_no_supplement(case, OFFICER, D(2026, 12, 2))
    assert "期限届满后" in str(caught.value.message)
    allowed = workflow.allowed_actions(case, today=D(2026, 12, 3))
    assert "close_no_supplement" in allowed and "receive_supplement" not in allowed
    case = workflow.close_no_supplement(case, OFFICER, D(2026, 12, 3))
    assert case.stage == Stage.CLOSED and case.hold == Hold.NONE
    assert case.result == "other_no_supplement" and case.closed_on == D(2026, 12, 3)
    assert _events(case)[-1].reason == "申请人逾期未补正，视为放弃申请。"
    assert workflow.allowed_actions(case, today=D(2026, 12, 3)) == ["archive"]
    assert workflow.archive(case, OFFICER, today=D(2026, 12, 4)).stage == Stage.ARCHIVED


# --------------------------------------------------------------------------- pauses, extension


def test_third_party_consultation_pauses_the_clock(app: Flask) -> None:
    case = to_processing(file_one(D(2026, 9, 30)), today=D(2026, 9, 30))
    case = workflow.start_consultation(case, OFFICER, "third_party", "涉及商业秘密。",
                                       D(2026, 10, 12), today=D(2026, 10, 12))
    assert case.hold == Hold.CONSULTATION and case.paused_on == D(2026, 10, 12)
    assert "征求第三方意见，期限暂停中" in case.deadline_note
    assert _events(case)[-1].new == {"hold": "consultation", "paused_on": "2026-10-12",
                                      "consultation": "third_party"}
    status = workflow.public_status(case, today=D(2026, 10, 14))
    assert status["paused"] and status["due_on"] is None
    assert status["days_left"] == 16 and "暂停中" in status["due_label"]
    assert case not in workflow.overdue(D(2026, 12, 31))
    case = workflow.end_consultation(case, OFFICER, D(2026, 10, 16), today=D(2026, 10, 16))
    assert case.hold == Hold.NONE and case.paused_on is None and case.paused_workdays == 4
    assert case.due_on == D(2026, 11, 9)
    assert case.deadline_note == ("自 2026年9月30日（收到申请）次日起算 20 个工作日为 11月3日；"
                                  "征求第三方意见暂停 4 个工作日 → 11月9日")
    case = workflow.extend(case, OFFICER, 10, "主任", "需要汇总。", today=D(2026, 10, 20))
    assert case.due_on == D(2026, 11, 23)


def test_consultation_needs_a_kind_and_a_reason_and_a_sane_date(app: Flask) -> None:
    case = to_processing(file_one(WORKDAY))
    for kind, reason, on in (("neighbour", "x", WORKDAY), ("agency", "", WORKDAY),
                             ("agency", "x", D(2026, 11, 24)), ("agency", "x",
                                                                D(2026, 11, 26))):
        with pytest.raises(TransitionRefused):
            workflow.start_consultation(case, OFFICER, kind, reason, on, today=WORKDAY)


def test_extension_once_at_most_twenty_and_not_after_the_deadline(app: Flask) -> None:
    case = to_processing(file_one(D(2026, 9, 30)), today=D(2026, 9, 30))
    for days in (0, 21):
        with pytest.raises(TransitionRefused):
            workflow.extend(case, OFFICER, days, "主任", "原因", today=D(2026, 10, 20))
    with pytest.raises(TransitionRefused):
        workflow.extend(case, OFFICER, 5, "", "原因", today=D(2026, 10, 20))
    with pytest.raises(TransitionRefused) as caught:
        workflow.extend(case, OFFICER, 5, "主任", "原因", today=D(2026, 11, 4))
    assert "已过" in str(caught.value.message)
    case = workflow.extend(case, OFFICER, 20, "主任", "原因", today=D(2026, 11, 3))
    assert case.due_on == D(2026, 12, 1)
    with pytest.raises(TransitionRefused) as caught:
        workflow.extend(case, OFFICER, 1, "主任", "原因", today=D(2026, 11, 3))
    assert "只能延长一次" in str(caught.value.message)


# --------------------------------------------------------------------------- answers


@pytest.mark.parametrize(("kind", "result", "row"), [
    ("already_public", "", "disclose"),
    ("disclose", "", "disclose"),
    ("partial", "", "partial"),
    ("deny", "deny_third_party", "deny_third_party"),
    ("not_exist", "", "unable_not_held"),
    ("not_ours", "unable_not_held", "unable_not_held"),
    ("repeat", "", "reject_repeat"),
    ("petition", "", "reject_petition"),
    ("other_law", "", "other"),
])
def test_answer_kinds_set_the_report_row(app: Flask, kind: str, result: str,
                                         row: str) -> None:
    case = to_processing(file_one(WORKDAY))
    case = workflow.answer(case, OFFICER, kind, result, "答复正文。", {"agency": "区教体局"},
                           D(2026, 11, 25), today=D(2026, 11, 26))
    assert case.stage == Stage.ANSWERED and case.result == row
    assert case.replied_on == WORKDAY and case.replied_by == OFFICER
    assert case.reply_extra == {"kind": kind, "agency": "区教体局"}
    assert workflow.public_status(case)["result"] == row


@pytest.mark.parametrize(("kind", "result", "reply", "words"), [
    ("deny", "", "理由", "不予公开的理由"),
    ("deny", "disclose", "理由", "不予公开的理由"),
    ("disclose", "partial", "正文", "不一致"),
    ("nonsense", "", "正文", "答复类型"),
    ("unclear", "", "正文", "补正"),
    ("disclose", "", "", "答复内容"),
    ("disclose", "", "字" * 10001, "10000"),
])
def test_bad_answers_are_refused(app: Flask, kind: str, result: str, reply: str,
                                 words: str) -> None:
    case = to_processing(file_one(WORKDAY))
    with pytest.raises(TransitionRefused) as caught:
        workflow.answer(case, OFFICER, kind, result, reply, {}, WORKDAY, today=WORKDAY)
    assert words in str(caught.value.message)
    assert case.stage == Stage.PROCESSING


def test_answer_date_is_neither_future_nor_before_receipt(app: Flask) -> None:
    case = to_processing(file_one(WORKDAY))
    for on in (D(2026, 11, 24), D(2026, 11, 26)):
        with pytest.raises(TransitionRefused):
            workflow.answer(case, OFFICER, "disclose", "", "正文", {}, on, today=WORKDAY)


def test_unclear_after_a_supplement(app: Flask) -> None:
    case = workflow.register(file_one(WORKDAY), OFFICER, today=WORKDAY)
    workflow.request_supplement(case, OFFICER, "文号", today=WORKDAY)
    workflow.receive_supplement(case, OFFICER, D(2026, 11, 26), today=D(2026, 11, 26))
    case = workflow.answer(case, OFFICER, "unclear", "", "补正后仍不明确。", {},
                           D(2026, 11, 27), today=D(2026, 11, 27))
    assert case.result == "unable_unclear"


# --------------------------------------------------------------------------- citizens


def test_lookup_needs_the_number_and_the_last_four_digits(app: Flask) -> None:
    case = file_one()
    assert workflow.lookup("2026-000001", "5678") == case
    assert workflow.lookup(" ２０２６－０００００１ ", "５６７８") == case
    assert workflow.lookup("2026000001", "5678") == case
    assert workflow.lookup("2026-1", "5678") == case
    assert workflow.lookup("2026-000001", "5679") is None
    assert workflow.lookup("2026-000002", "5678") is None
    assert workflow.lookup("' or 1=1 --", "5678") is None
    assert workflow.lookup("2026-000001", "") is None
    assert workflow.by_token(case.token) == case
    assert workflow.by_token("nope") is None and workflow.by_token("") is None
    assert workflow.by_token("x" * 1000) is None


def test_public_status_shows_nothing_personal(app: Flask) -> None:
    case = answered(WORKDAY, "deny", "deny_process")
    status = workflow.public_status(case)
    text = repr(status)
    for secret in ("张", VALID_ID, "110105", PHONE, "5678", "沙石镇", "吉埠村", case.token):
        assert secret not in text
    assert status["number"] == case.number and status["stage"] == Stage.ANSWERED
    assert status["stage_label"] == "已答复" and status["replied_on"] == "2026-11-25"
    assert status["result_label"] == "属于四类过程性信息"  # without the report's numbering
    assert status["received_on"] == "2026-11-25" and status["due_on"] == "2026-12-23"


def test_public_status_while_waiting_for_a_supplement(app: Flask) -> None:
    case = workflow.request_supplement(file_one(), OFFICER, "文号", D(2026, 12, 2),
                                       today=WORKDAY)
    status = workflow.public_status(case, today=WORKDAY)
    assert status["hold_label"] == "等待申请人补正"
    assert status["supplement_due_on"] == "2026-12-02" and status["due_on"] is None


# --------------------------------------------------------------------------- staff only


def test_reveal_opens_a_field_and_logs_the_look(app: Flask) -> None:
    case = file_one()
    assert workflow.reveal(case, "officer9", "id_number") == VALID_ID
    assert workflow.reveal(case, "officer9", "phone") == PHONE
    assert workflow.reveal(case, "officer9", "email") == ""
    entries = list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "disclosure_reveal").order_by(AuditEntry.id)))
    assert [e.new["field"] for e in entries if e.new] == ["id_number", "phone", "email"]
    assert all(e.actor_name == "officer9" and e.object_label == case.number for e in entries)
    with pytest.raises(ValueError):
        workflow.reveal(case, "officer9", "password")


def test_reveal_with_a_changed_key_says_so(app: Flask) -> None:
    case = file_one()
    app.config["SECRET_KEY"] = "rotated"
    with pytest.raises(PersonalDataError) as caught:
        workflow.reveal(case, "officer9", "phone")
    assert "密钥" in str(caught.value.message)
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "disclosure_reveal")) == 1


def test_due_soon_and_overdue(app: Flask) -> None:
    due_soon = file_one(D(2026, 10, 26))  # due 11-23 (Mon)
    late = file_one(D(2026, 10, 20))  # due 11-17
    later = file_one(D(2026, 11, 20))  # due 12-18
    done = answered(D(2026, 10, 20))
    paused = workflow.start_consultation(to_processing(file_one(D(2026, 10, 20))), OFFICER,
                                         "agency", "征求区教体局意见。", D(2026, 10, 21),
                                         today=D(2026, 10, 21))
    today = D(2026, 11, 18)
    assert workflow.due_soon(today, days=5) == [due_soon]  # up to 11-25
    assert workflow.overdue(today) == [late]
    assert later not in workflow.due_soon(today) and done not in workflow.overdue(today)
    assert paused not in workflow.overdue(today)


def test_recompute_after_a_calendar_change(app: Flask) -> None:
    case = file_one(WORKDAY)
    assert case.due_on == D(2026, 12, 23)
    set_override(D(2026, 11, 27), False, "local day off")
    assert workflow.recompute_open(today=WORKDAY) == 1
    db.session.refresh(case)
    assert case.due_on == D(2026, 12, 24)


# --------------------------------------------------------------------------- retention


def _archived(on: dt.date) -> Application:
    case = answered(on - dt.timedelta(days=30))
    return workflow.archive(case, OFFICER, today=on)


def test_purge_expired_removes_personal_data_and_keeps_the_record(app: Flask) -> None:
    old = _archived(D(2016, 3, 1))
    recent = _archived(D(2020, 3, 1))
    still_open = file_one(D(2016, 1, 4))
    assert workflow.purge_expired(D(2026, 3, 1), 10) == 1
    db.session.refresh(old)
    assert old.purged_on == D(2026, 3, 1)
    assert old.id_sealed == old.phone_sealed == old.address_sealed == old.email_sealed == ""
    assert old.name == "张*"
    assert old.id_masked == "110105********002X" and old.phone_masked == "138****5678"
    assert old.reply_text and old.result == "disclose" and len(_events(old)) >= 5
    assert recent.purged_on is None and unseal(recent.id_sealed) == VALID_ID
    assert still_open.purged_on is None
    with pytest.raises(PersonalDataError) as caught:
        workflow.reveal(old, OFFICER, "phone")
    assert "保存期限" in str(caught.value.message)
    assert workflow.purge_expired(D(2026, 3, 1), 10) == 0  # nothing twice
    assert workflow.purge_expired(D(2026, 2, 28), 5) == 1  # the 2020 one after 5 years


def test_purge_command_uses_the_configured_retention(app: Flask,
                                                     runner: FlaskCliRunner) -> None:
    _archived(D(2016, 3, 1))
    app.config["DISCLOSURE_RETENTION_YEARS"] = 11
    result = runner.invoke(args=["disclosure", "purge", "--today", "2026-03-01"])
    assert result.exit_code == 0, result.output
    assert "已删除 0 件" in result.output and "11 年" in result.output
    result = runner.invoke(args=["disclosure", "purge", "--today", "2026-03-01",
                                 "--years", "10"])
    assert "已删除 1 件" in result.output
    result = runner.invoke(args=["disclosure", "purge", "--today", "not-a-date"])
    assert result.exit_code != 0


def test_config_defaults(app: Flask) -> None:
    assert app.config["DISCLOSURE_RETENTION_YEARS"] == 10
    assert app.config["DISCLOSURE_SUPPLEMENT_DAYS"] == 15
    assert app.config["DISCLOSURE_LOOKUP_RATE_LIMIT"] == "10 per minute;60 per hour"
    assert app.config["DISCLOSURE_FILE_RATE_LIMIT"] == "5 per minute;30 per hour"
    assert "PERSONAL_DATA_KEY" in app.config


# --------------------------------------------------------------------------- demo


def test_demo_cases_cover_every_stage_and_run_once(app: Flask) -> None:
    assert demo.demo_step in app.extensions["demo_steps"]
    made = demo.seed_applications(D(2026, 11, 25))
    assert made == len(demo._cases()) >= 12
    cases = list(db.session.scalars(select(Application)))
    stages = {c.stage for c in cases}
    assert stages == {s.value for s in Stage}
    assert {c.hold for c in cases} == {"", "supplement", "consultation"}
    assert any(c.extension_workdays for c in cases)
    assert any(c.supplement_received_on for c in cases)
    assert len({c.result for c in cases if c.stage == Stage.ANSWERED}) >= 3
    assert {c.applicant_type for c in cases} >= {"person", "business", "legal_service",
                                                 "research"}
    assert all(unseal(c.id_sealed) for c in cases)
    assert workflow.overdue(D(2026, 11, 25))
    assert demo.seed_applications(D(2026, 11, 25)) == 0


def test_demo_ids_are_valid(app: Flask) -> None:
    for case in demo._cases():
        form = {"delivery": "pickup", "info_format": "paper", **case.form}
        assert workflow.validate(dataclasses.replace(make_input(), **form),
                                 today=WORKDAY) == {}
