"""Disclosure fixtures shared by the disclosure, kiosk and staff tests: a valid form, and an
application filed (and moved along) directly through the domain."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from disclosure import workflow
from disclosure.models import Application, Channel
from disclosure.workflow import ApplicationInput

#: A valid resident ID (GB 11643's own example) and a Ganzhou-style one, both checksum-valid.
VALID_ID = "11010519491231002X"
GANZHOU_ID = "360702198803150010"
PHONE = "13812345678"
#: A checksum-valid unified social credit code (GB 32100).
CREDIT_CODE = "91360702MA35K8L2XE"
#: A Wednesday (working day) in the hall; 2026-11-25 is the queue tests' day too.
WORKDAY = dt.date(2026, 11, 25)
#: The same day at 10:00 in the hall (02:00 UTC).
WORKDAY_10AM = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)


def make_input(**fields: Any) -> ApplicationInput:
    """A complete, valid form of a natural person; override any field."""
    base = ApplicationInput(
        applicant_type="person", name="张三", contact_person="", id_type="resident_id",
        id_number=VALID_ID, phone=PHONE, address="江西省赣州市章贡区沙石镇吉埠村12号",
        email="", info_title="2025年章贡区城镇老旧小区改造项目清单",
        info_doc_number="章府办字〔2025〕12号",
        info_description="申请公开2025年章贡区城镇老旧小区改造项目清单及资金安排情况。",
        info_format="paper", delivery="pickup", consent=True)
    return dataclasses.replace(base, **fields)


def org_input(**fields: Any) -> ApplicationInput:
    """A complete, valid form of a business (商业企业) with its credit code."""
    values: dict[str, Any] = {
        "applicant_type": "business", "name": "赣州市章贡区某某建材有限公司",
        "contact_person": "李四", "id_type": "credit_code", "id_number": CREDIT_CODE,
        **fields}
    return make_input(**values)


def file_one(received_on: dt.date | None = WORKDAY, *, now: dt.datetime | None = None,
             channel: str = Channel.KIOSK, actor: str = "", **fields: Any) -> Application:
    """File a valid application received on ``received_on`` (default the WORKDAY)."""
    if now is None and received_on is not None:
        now = dt.datetime.combine(received_on, dt.time(2, 0), tzinfo=dt.UTC)
    return workflow.file_application(make_input(**fields), channel=channel,
                                     received_on=received_on, actor=actor, now=now)


def to_processing(app: Application, actor: str = "officer",
                  today: dt.date | None = None) -> Application:
    """Register, review and start processing (the usual path before an answer)."""
    today = today or app.received_on
    workflow.register(app, actor, today=today)
    workflow.start_review(app, actor, today=today)
    return workflow.start_processing(app, actor, today=today)


def answered(received_on: dt.date = WORKDAY, kind: str = "disclose",
             result: str = "", **fields: Any) -> Application:
    """An application filed, processed and answered the same day."""
    app = to_processing(file_one(received_on, **fields))
    return workflow.answer(app, "officer", kind, result, "经查，现将所申请的信息提供给您。",
                           {}, on=received_on, today=received_on)
