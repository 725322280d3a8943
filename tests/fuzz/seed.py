"""The fuzz tests' app: a copy of the migrated template database (a fresh SQLite file, or the
run's PostgreSQL database emptied), the demo data, one of every kind of row the write endpoints
act on, and signed-in clients.

CSRF and rate limits are off here so that hostile input reaches the forms' validation and the
domain code (``test_every.py`` keeps CSRF on and checks hostile input is refused cleanly).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import struct
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from PIL import Image
from sqlalchemy import create_engine, inspect, select, text

from content.models import (
    CatalogItem,
    Category,
    Interpretation,
    MediaFile,
    Notice,
    Policy,
    ServiceGuide,
)
from disclosure import workflow
from disclosure.models import Application
from disclosure.models import Attachment as DisclosureAttachment
from disclosure.staff import STEPS as STEP_ACTIONS
from feedback import consultations, suggestions
from feedback.models import Consultation, ConsultationStatus
from hall.app import create_app
from hall.config import normalise_url
from hall.extensions import db
from hall.timefmt import local_today
from printer.spool import PrintJob
from screens.models import (
    EmergencyMessage,
    Playlist,
    PlaylistItem,
    Screen,
    ScreenGroup,
    TickerItem,
)
from tests.disclosure.support import make_input
from tests.fuzz.forms import form_for
from tests.staff_support import PASSWORD, create_staff
from tickets import ratings
from tickets.models import Appointment, Followup, PriorityCategory, Service, Ticket, Window

#: Examples per endpoint: the same ones on every run (``derandomize``) unless
#: ``GONGKAI_FUZZ_RANDOM`` is set; ``GONGKAI_FUZZ_EXAMPLES`` gives more for a long run.
FUZZ = settings(
    derandomize=not os.environ.get("GONGKAI_FUZZ_RANDOM"), database=None, deadline=None,
    max_examples=int(os.environ.get("GONGKAI_FUZZ_EXAMPLES", "10")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much, HealthCheck.large_base_example],
)
USE_PG = normalise_url(os.environ.get("DATABASE_URL", "")).startswith("postgresql")

#: The clerks' window the counter targets act on (the demo's 综合窗口, every service).
COUNTER_WINDOW = 6

FUZZ_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "fuzz",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "STAFF_FAILURE_DELAY_SECONDS": 0,
    "STAFF_FAILURE_DELAY_MAX_SECONDS": 0,
    "STAFF_LOGIN_MAX_FAILURES": 10**6,
    "PUBLIC_BASE_URL": "http://hall.example.test",
    "PRINTERS": {"kiosk": {"transport": "dummy", "width": 80, "chinese": "gb18030",
                           "qr": "native"}},
    "VIRTUAL_PRINTER_PORT": 0,
    "PRINT_WORKER_AUTOSTART": False,
}


@dataclass
class Fuzz:
    """The module's app, its seeded rows by name and its clients."""

    app: Flask
    ids: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    #: Unclean stored values already reported (each is reported once, by the first target).
    reported: set[str] = field(default_factory=set)

    def client(self, who: str) -> FlaskClient:
        """``root`` (every role), ``clerk`` (a second clerk), ``kiosk`` (no one signed in),
        or ``fresh``: a new client signed in as root (for actions that end the session)."""
        if who == "fresh":
            return self.sign_in(self.app.test_client(), "root")
        return self.clients[who]

    def sign_in(self, client: FlaskClient, username: str) -> FlaskClient:
        response = client.post("/staff/login", data={"username": username,
                                                     "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client


# -- the rows every target needs ---------------------------------------------------------------

def _png(red: int = 200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (red, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(struct.pack("<400h", *([1000, -1000] * 200)))
    return out.getvalue()


def _ok(response: Any, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201, 302, 303)), \
        f"{response.request.path}: {response.status_code} {response.get_data(as_text=True)[:800]}"
    return response


def make_app(template: str, folder: Path) -> Fuzz:
    """The app on its own copy of the database, seeded."""
    instance = folder / "instance"
    instance.mkdir()
    app = create_app({**FUZZ_CONFIG, "SQLALCHEMY_DATABASE_URI": _database(template, folder)})
    app.instance_path = str(instance)
    state = Fuzz(app)
    _seed(state)
    return state


def _seed(state: Fuzz) -> None:
    app, ids = state.app, state.ids
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        root = create_staff("root", "admin", "editor", "clerk", "officer")
        clerk = create_staff("clerk2", "clerk")
        create_staff("clerk3", "clerk")
        other = create_staff("other", "editor")
        ids.update(root=root.id, clerk=clerk.id, other=other.id)
        _seed_feedback(ids)
    kiosk = app.test_client()
    staff = state.sign_in(app.test_client(), "root")
    state.clients.update(kiosk=kiosk, root=staff,
                         clerk=state.sign_in(app.test_client(), "clerk2"))
    _seed_queue(state, kiosk, staff)
    third = state.sign_in(app.test_client(), "clerk3")
    _ok(third.post("/staff/counter/3/open", data={"services": ["2"]}))  # 3 serves 政策咨询
    _seed_staff_rows(state, staff)
    _seed_disclosure(state, staff)
    with app.app_context():
        _seed_last_ids(ids)
        db.session.remove()


def _seed_feedback(ids: dict[str, Any]) -> None:
    now = dt.datetime.now(dt.UTC)
    text_ = "窗口太少了，排队很久，请增加窗口。"
    ids["suggestion"] = suggestions.submit("facility", text_, terminal="t").id
    answered = suggestions.submit("service", text_, consent=True, name="张先生",
                                  phone="13812345678", terminal="t")
    suggestions.answer(answered, "已增加两个窗口。", public=True, by="root")
    ids["suggestion_answered"] = answered.id
    ids["suggestion_code"], ids["suggestion_key"] = answered.code, answered.lookup_key
    closed = suggestions.submit("other", text_, terminal="t")
    suggestions.answer(closed, "已处理。", public=False, by="root")
    suggestions.close(closed)
    ids["suggestion_closed"] = closed.id
    for name, status in (("consultation", ConsultationStatus.OPEN),
                         ("consultation_draft", ConsultationStatus.DRAFT),
                         ("consultation_spare", ConsultationStatus.DRAFT)):
        row = Consultation(title="关于调整老年人乘车优惠政策的征求意见稿", status=status.value,
                           issuer="区交通运输局", body_html="<p>第一条 为了……</p>",
                           opens_at=now - dt.timedelta(days=1),
                           closes_at=now + dt.timedelta(days=10))
        consultations.save(row, {})
        ids[name] = row.id
    open_row = db.session.get_one(Consultation, ids["consultation"])
    ids["comment"] = consultations.add_comment(open_row, "同意这个方案，建议尽快实施。").id
    ids["document"] = consultations.add_document(open_row, "草案", "draft.pdf",
                                                 b"%PDF-1.4\n%%EOF\n").id
    ids["document_spare"] = consultations.add_document(open_row, "附件", "annex.pdf",
                                                       b"%PDF-1.4\n%%EOF\n").id


def _seed_queue(state: Fuzz, kiosk: FlaskClient, staff: FlaskClient) -> None:
    ids, window = state.ids, COUNTER_WINDOW
    page = _ok(staff.get(f"/staff/counter/{window}/open")).get_data(as_text=True)
    form = form_for(page, f"/staff/counter/{window}/open", f"/staff/counter/{window}/open")
    assert form is not None
    services = form.options["services"]
    _ok(staff.post(f"/staff/counter/{window}/open", data={"services": services}))
    for code in ["zx"] * 6 + ["gk"] * 6 + ["bb"] * 6:
        _ok(kiosk.post("/api/tickets", json={"service": code}), 201)
    for _ in range(5):  # called and finished: rateable today
        _ok(staff.post(f"/staff/counter/{window}/next"))
        _ok(staff.post(f"/staff/counter/{window}/finish"))
    _ok(staff.post(f"/staff/counter/{window}/next"))  # one current ticket for the counter pages
    with state.app.app_context():
        rows = db.session.scalars(select(Ticket).where(Ticket.finished_at.is_not(None))
                                  .order_by(Ticket.id)).all()
        finished = [t.token for t in rows]
        ids["window_number"] = window
        ids["finished_number"] = rows[0].number
        bad = rows[-1]
        ratings.rate(bad, 1, ["态度不好"], "等了很久", "kiosk")
        ids["followup"] = db.session.scalar(select(Followup.id))
        db.session.remove()
    ids["rate_kiosk"], ids["rate_phone"], ids["rate_counter"] = finished[:3]
    day = local_today() + dt.timedelta(days=1)
    form = {"service": services[0], "day": day.isoformat(), "slot_start": "09:00",
            "slot_end": "10:00", "note": "办理政府信息公开"}
    _ok(staff.post("/staff/queue/appointments/", data=form))
    with state.app.app_context():
        rows_a = db.session.scalars(select(Appointment).order_by(Appointment.id)).all()
        ids["appointment"] = rows_a[0].id
        ids["booking_code"] = rows_a[0].code
        db.session.remove()


def _seed_staff_rows(state: Fuzz, staff: FlaskClient) -> None:
    ids = state.ids
    _ok(staff.post("/staff/media/upload", data={
        "file-0": (io.BytesIO(_png()), "seal.png"), "alt-0": "红色方块"},
        content_type="multipart/form-data"))
    _ok(staff.post("/staff/media/upload", data={
        "file-0": (io.BytesIO(_png(100)), "spare.png"), "alt-0": "备用"},
        content_type="multipart/form-data"))
    _ok(staff.post("/staff/queue/voice/qing/upload", data={
        "file": (io.BytesIO(_wav()), "qing.wav")}, content_type="multipart/form-data"))
    _ok(staff.post("/staff/screens/emergency/send", data={
        "title": "紧急通知", "text": "大厅临时停电，请耐心等候。", "target": "all"}))
    ids["year"] = local_today().year
    _ok(staff.post(f"/staff/calendar/{ids['year']}/set", data={
        "day": f"{ids['year']}-12-31", "kind": "holiday", "note": "演示"}))
    _ok(staff.post("/staff/printers/kiosk/test"))
    with state.app.app_context():
        media = db.session.scalars(select(MediaFile.id).order_by(MediaFile.id)).all()
        ids["media"], ids["media_spare"] = media[0], media[1]
        ids["emergency"] = db.session.scalar(select(EmergencyMessage.id))
        ids["print_job"] = db.session.scalar(select(PrintJob.id))
        db.session.remove()


def _seed_disclosure(state: Fuzz, staff: FlaskClient) -> None:
    """A case of its own for each workflow step, at the stage the step needs (one step's
    success must not take another step's case away), and an attachment on an open case."""
    ids = state.ids
    with state.app.app_context():
        today = local_today()

        def case(*steps: Callable[[Application], Application]) -> int:
            row = workflow.file_application(make_input(), channel="counter", actor="root",
                                            received_on=today)
            for step in steps:
                row = step(row)
            return row.id

        def reg(a: Application) -> Application:
            return workflow.register(a, "root", today=today)

        def rev(a: Application) -> Application:
            return workflow.start_review(a, "root", today=today)

        def proc(a: Application) -> Application:
            return workflow.start_processing(a, "root", today=today)

        def supplement(a: Application) -> Application:
            return workflow.request_supplement(a, "root", "请补充身份证明。",
                                               today + dt.timedelta(days=30), today=today)

        def consult(a: Application) -> Application:
            return workflow.start_consultation(a, "root", "third_party", "涉及第三方。", today,
                                               today=today)

        def answer(a: Application) -> Application:
            return workflow.answer(a, "root", "disclose", "", "现将信息提供给您。", {}, today,
                                   today=today)

        for action, steps in {
            "register": (), "start_review": (reg,), "start_processing": (reg, rev),
            "request_supplement": (), "receive_supplement": (supplement,),
            "close_no_supplement": (supplement,), "start_consultation": (reg, rev, proc),
            "end_consultation": (reg, rev, proc, consult), "extend": (reg, rev, proc),
            "answer": (reg, rev, proc), "archive": (reg, rev, proc, answer),
        }.items():
            ids[f"case_{action}"] = case(*steps)
        ids["case_open"] = case(reg)
        assert set(STEP_ACTIONS) <= {k[5:] for k in ids if k.startswith("case_")}
        db.session.remove()
    _ok(staff.post(f"/staff/disclosure/{ids['case_open']}/attachments", data={
        "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "scan.pdf")},
        content_type="multipart/form-data"))
    with state.app.app_context():
        ids["attachment"] = db.session.scalar(select(DisclosureAttachment.id))
        db.session.remove()


def _seed_last_ids(ids: dict[str, Any]) -> None:
    """The first row of each table the targets edit, and the last of those they delete."""
    first = {"policy": Policy, "interpretation": Interpretation, "guide": ServiceGuide,
             "notice": Notice, "catalog": CatalogItem, "category": Category,
             "service": Service, "window": Window, "priority": PriorityCategory,
             "screen": Screen, "group": ScreenGroup, "playlist": Playlist, "item": PlaylistItem,
             "ticker": TickerItem}
    for name, model in first.items():
        ids[name] = db.session.scalar(select(model.id).order_by(model.id))
    for name in ("policy", "item", "ticker", "screen", "playlist"):
        model = first[name]
        ids[f"last_{name}"] = db.session.scalar(select(model.id).order_by(model.id.desc()))
    ids["last_item_playlist"] = db.session.get_one(PlaylistItem, ids["last_item"]).playlist_id


def _database(template: str, folder: Path) -> str:
    if not USE_PG:
        path = folder / "fuzz.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    engine = create_engine(template)
    with engine.begin() as conn:
        tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                          + " RESTART IDENTITY CASCADE"))
    engine.dispose()
    return template
