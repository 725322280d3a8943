"""依申请公开 at the kiosk through the Flask client: the intro's two paths, the form in steps
with the server's reasons on each step (bad ID checksum, impossible birth date, empty
description, 10 000-character fields, HTML), values kept on the server and never in an
address or the cookie, the review, filing (once for a double tap), the receipt with masked
values only, the wipe by 完成 and by the idle reset, the status lookup (rate-limited) and the
phone page of the slip's QR code."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from disclosure import workflow
from disclosure.models import Application
from hall.extensions import db
from kiosk import disclosure as pages
from tests.disclosure.support import CREDIT_CODE, PHONE, VALID_ID
from tests.kiosk.test_queue_pages import no_inline_code as _no_inline_code
from tests.staff_support import token_in

DESCRIPTION = "2025年本区老旧小区改造项目的立项批复文件"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"KIOSK_PRINTERS": {}, "DISCLOSURE_FILE_RATE_LIMIT": "1000 per minute",
            "DISCLOSURE_LOOKUP_RATE_LIMIT": "3 per minute"}


def no_inline_code(html: str) -> None:
    """As the queue pages' check; the inline QR code's SVG namespace is no remote address."""
    _no_inline_code(html.replace('xmlns="http://www.w3.org/2000/svg"', ""))


def applications() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Application)) or 0)


class Kiosk:
    """A citizen at the kiosk: every page is fetched and every form posted as a browser
    would (with the page's CSRF token), and every address visited is remembered."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = ""
        self.urls: list[str] = []

    def get(self, path: str) -> Any:
        self.urls.append(path)
        response = self.client.get(path)
        html = response.get_data(as_text=True)
        if "csrf" in html:
            self.token = token_in(html)
        return response

    def post(self, path: str, **data: Any) -> Any:
        self.urls.append(path)
        if not self.token:
            self.get("/kiosk/apply")
        response = self.client.post(path, data={"csrf_token": self.token, **data})
        if response.status_code in (301, 302, 303):
            self.urls.append(response.headers["Location"])
        return response

    def step(self, step_name: str, expect: int = 303, **data: Any) -> Any:
        self.get(f"/kiosk/apply/step/{step_name}")
        response = self.post(f"/kiosk/apply/step/{step_name}", **data)
        assert response.status_code == expect, response.get_data(as_text=True)[:3000]
        return response

    def start(self) -> None:
        self.get("/kiosk/apply")
        response = self.post("/kiosk/apply/start")
        assert response.headers["Location"] == "/kiosk/apply/step/type"

    def fill(self, **override: Any) -> None:
        """Every step with good values (``override`` changes any field)."""
        values = {"applicant_type": "person", "name": "张三", "id_type": "resident_id",
                  "id_number": VALID_ID, "info_title": "老旧小区改造立项批复",
                  "info_doc_number": "", "info_description": DESCRIPTION,
                  "info_format": "paper", "delivery": "pickup", "phone": PHONE,
                  "address": "", "email": "", "consent": "1", **override}
        self.start()
        for step in pages.STEPS:
            self.step(step.name, **{f: values[f] for f in step.fields if f in values})


def cookie_text(client: FlaskClient) -> str:
    """The session cookie as readable text (Flask signs it but does not encrypt it)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    payload = cookie.value.split(".")[0 if not cookie.value.startswith(".") else 1]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if cookie.value.startswith("."):
        raw = zlib.decompress(raw)
    return raw.decode("utf-8", "replace")


def test_intro_explains_and_offers_both_paths(client: FlaskClient) -> None:
    response = client.get("/kiosk/apply")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    no_inline_code(html)
    assert "什么是依申请公开" in html and "20 个工作日" in html and "不收费" in html
    assert 'action="/kiosk/apply/start"' in html and "自己填写" in html
    assert "请工作人员代为填写" in html and 'href="/kiosk/queue"' in html
    assert 'href="/kiosk/apply/status"' in html


def test_a_step_without_a_draft_goes_back_to_the_intro(client: FlaskClient) -> None:
    response = client.get("/kiosk/apply/step/applicant")
    assert response.status_code == 303 and response.headers["Location"] == "/kiosk/apply"
    assert client.get("/kiosk/apply/step/nonsense").status_code in (303, 404)
    assert client.get("/kiosk/apply/review").status_code == 303
    assert client.get("/kiosk/apply/done").status_code == 302


def test_file_in_steps_then_receipt_with_masked_values_only(client: FlaskClient) -> None:
    kiosk = Kiosk(client)
    kiosk.fill()
    step = kiosk.get("/kiosk/apply/step/identity")
    assert step.headers["Cache-Control"] == "no-store"
    html = step.get_data(as_text=True)
    no_inline_code(html)
    assert 'autocomplete="off"' in html and f'value="{VALID_ID}"' in html
    assert "第 3 步，共 8 步" in html and 'aria-current="step"' in html
    assert 'data-kb="latin"' in html and 'id="kb"' in html
    review = kiosk.get("/kiosk/apply/review")
    html = review.get_data(as_text=True)
    assert review.status_code == 200 and review.headers["Cache-Control"] == "no-store"
    assert VALID_ID in html and PHONE in html and DESCRIPTION in html and "张三" in html
    assert applications() == 0  # nothing is stored before 确认提交
    # the values live on the server, sealed: the session cookie carries only a draft id
    assert VALID_ID not in cookie_text(client) and PHONE not in cookie_text(client)

    submitted = kiosk.post("/kiosk/apply/submit")
    assert submitted.status_code == 303 and submitted.headers["Location"] == "/kiosk/apply/done"
    app = db.session.scalars(select(Application)).one()
    assert app.channel == "kiosk" and app.name == "张三" and app.info_description == DESCRIPTION
    assert app.id_masked == "110105********002X" and app.phone_masked == "138****5678"
    assert app.terminal == "127.0.0.1" and app.request_key
    done = kiosk.get("/kiosk/apply/done")
    html = done.get_data(as_text=True)
    assert done.headers["Cache-Control"] == "no-store"
    no_inline_code(html)
    assert app.number in html and "110105********002X" in html and "138****5678" in html
    assert "张*" in html and "张三" not in html
    assert VALID_ID not in html and PHONE not in html and DESCRIPTION not in html
    assert "打印机暂时无法打印回执" in html  # no printer for this terminal in this test
    assert '<svg class="qr"' in html
    assert workflow.validate(workflow.ApplicationInput()) != {}  # the form's own check ran
    # no personal value ever travelled in an address
    for url in kiosk.urls:
        assert VALID_ID not in url and PHONE not in url and "张三" not in url, url
        assert "%E5%BC%A0" not in url

    finished = kiosk.post("/kiosk/apply/finish")
    assert finished.status_code == 303 and finished.headers["Location"] == "/kiosk/"
    assert client.get("/kiosk/apply/done").status_code == 302
    assert client.get("/kiosk/apply/review").status_code == 303


def test_a_double_submit_files_once(client: FlaskClient) -> None:
    kiosk = Kiosk(client)
    kiosk.fill()
    first = kiosk.post("/kiosk/apply/submit")
    second = kiosk.post("/kiosk/apply/submit")
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == "/kiosk/apply/done"
    assert applications() == 1


def test_the_same_request_key_files_once_even_in_a_race(client: FlaskClient) -> None:
    """Two sends that both still saw the draft: the application's request key decides."""
    kiosk = Kiosk(client)
    kiosk.fill()
    draft = pages.drafts.load(_draft_id(client))
    assert draft is not None
    first = workflow.file_application(pages._input(draft), request_key=draft["request_key"])
    kiosk.post("/kiosk/apply/submit")
    assert applications() == 1
    assert first.number in kiosk.get("/kiosk/apply/done").get_data(as_text=True)


def _draft_id(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        return str(session[pages.DRAFT_KEY])


@pytest.mark.parametrize(("field", "value", "message"), [
    ("id_number", "110105194912310021", "校验位不正确"),
    ("id_number", "110105194902300025", "出生日期不存在"),
    ("id_number", "12345", "应为 18 位"),
])
def test_bad_id_numbers_get_a_clear_reason(client: FlaskClient, field: str, value: str,
                                           message: str) -> None:
    kiosk = Kiosk(client)
    kiosk.start()
    kiosk.step("type", applicant_type="person")
    kiosk.step("applicant", name="李四")
    response = kiosk.step("identity", 422, id_type="resident_id", id_number=value)
    html = response.get_data(as_text=True)
    assert message in html and 'role="alert"' in html
    assert 'aria-invalid="true"' in html and 'id="ap-err-id_number"' in html
    assert response.headers["Cache-Control"] == "no-store"
    # the good value is accepted and the form moves on
    assert kiosk.step("identity", id_type="resident_id",
                      id_number=VALID_ID.lower()).headers["Location"].endswith("/info")
    assert applications() == 0


def test_each_step_refuses_what_it_must(client: FlaskClient) -> None:
    kiosk = Kiosk(client)
    kiosk.start()
    assert "请选择申请人类型" in kiosk.step("type", 422, applicant_type="robot").get_data(True)
    kiosk.step("type", applicant_type="business")
    html = kiosk.step("applicant", 422, name="", contact_person="").get_data(as_text=True)
    assert "请填写法人或其他组织的名称" in html and "请填写联系人姓名" in html
    kiosk.step("applicant", name="某某科技有限公司", contact_person="王五")
    page = kiosk.get("/kiosk/apply/step/identity").get_data(as_text=True)
    assert 'value="credit_code" checked' in page  # organisations: their credit code
    kiosk.step("identity", id_type="credit_code", id_number=CREDIT_CODE)
    html = kiosk.step("info", 422, info_title="", info_doc_number="",
                      info_description="   ").get_data(as_text=True)
    assert "请描述所需的政府信息" in html
    kiosk.step("info", info_title="", info_doc_number="", info_description=DESCRIPTION)
    kiosk.step("delivery", info_format="electronic", delivery="email")
    html = kiosk.step("contact", 422, phone="12345", address="",
                      email="").get_data(as_text=True)
    assert "联系电话应为 11 位手机号码" in html
    assert "选择电子邮件获取时，请填写电子邮箱" in html
    kiosk.step("contact", phone=PHONE, address="", email="wang@example.com")
    html = kiosk.step("consent", 422).get_data(as_text=True)
    assert "勾选同意" in html
    kiosk.step("consent", consent="1")
    assert kiosk.get("/kiosk/apply/review").status_code == 200
    kiosk.post("/kiosk/apply/submit")
    app = db.session.scalars(select(Application)).one()
    assert app.applicant_type == "business" and app.contact_person == "王五"
    assert app.email_masked == "w***@example.com" and app.delivery == "email"
    assert "某某科技有限公司" in kiosk.get("/kiosk/apply/done").get_data(as_text=True)


def test_post_delivery_needs_an_address_on_the_contact_step(client: FlaskClient) -> None:
    kiosk = Kiosk(client)
    kiosk.start()
    kiosk.step("type", applicant_type="person")
    kiosk.step("applicant", name="赵六")
    kiosk.step("identity", id_type="passport", id_number="E12345678")
    kiosk.step("info", info_title="", info_doc_number="", info_description=DESCRIPTION)
    kiosk.step("delivery", info_format="paper", delivery="post")
    page = kiosk.get("/kiosk/apply/step/contact").get_data(as_text=True)
    assert "您选择了邮寄，请填写收件地址" in page
    html = kiosk.step("contact", 422, phone=PHONE, address="", email="").get_data(True)
    assert "选择邮寄时，请填写通信地址" in html


def test_review_sends_an_unfinished_form_back_to_its_first_gap(client: FlaskClient) -> None:
    kiosk = Kiosk(client)
    kiosk.start()
    kiosk.step("type", applicant_type="person")
    response = kiosk.get("/kiosk/apply/review")
    assert response.status_code == 303
    assert response.headers["Location"] == "/kiosk/apply/step/applicant"
    assert kiosk.post("/kiosk/apply/submit").status_code == 422
    assert applications() == 0


def test_huge_and_html_fields_are_refused_or_kept_as_text(client: FlaskClient) -> None:
    kiosk = Kiosk(client)
    kiosk.start()
    kiosk.step("type", applicant_type="person")
    response = kiosk.step("applicant", 422, name="张" * 10_000)
    html = response.get_data(as_text=True)
    assert "不能超过 100 个字（现有 10000 个）" in html
    assert "张" * 101 not in html  # the page echoes no more than the field may hold
    kiosk.step("applicant", name="<b>张三</b>")
    kiosk.step("identity", id_type="resident_id", id_number=VALID_ID)
    html = kiosk.step("info", 422, info_title="x" * 10_000, info_doc_number="",
                      info_description="y" * 10_000).get_data(as_text=True)
    assert "不能超过 300 个字" in html and "不能超过 2000 个字（现有 10000 个）" in html
    script = "<script>alert(1)</script>"
    kiosk.step("info", info_title=script, info_doc_number="", info_description=script)
    kiosk.step("delivery", info_format="paper", delivery="pickup")
    kiosk.step("contact", phone=PHONE, address="", email="")
    kiosk.step("consent", consent="1")
    html = kiosk.get("/kiosk/apply/review").get_data(as_text=True)
    assert script not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;张三&lt;/b&gt;" in html
    kiosk.post("/kiosk/apply/submit")
    app = db.session.scalars(select(Application)).one()
    assert app.info_description == script and app.name == "<b>张三</b>"


def test_the_idle_reset_wipes_the_draft_on_the_server(client: FlaskClient, app: Flask) -> None:
    kiosk = Kiosk(client)
    kiosk.start()
    kiosk.step("type", applicant_type="person")
    kiosk.step("applicant", name="钱七")
    draft_id = _draft_id(client)
    assert pages.drafts.load(draft_id) is not None
    assert client.get("/kiosk/reset").status_code == 302
    assert pages.drafts.load(draft_id) is None
    assert client.get("/kiosk/apply/step/applicant").status_code == 303


def test_quitting_wipes_the_draft(client: FlaskClient) -> None:
    kiosk = Kiosk(client)
    kiosk.start()
    kiosk.step("type", applicant_type="person")
    draft_id = _draft_id(client)
    kiosk.post("/kiosk/apply/finish")
    assert pages.drafts.load(draft_id) is None


def test_a_draft_expires(client: FlaskClient, app: Flask) -> None:
    app.config["KIOSK_DRAFT_MINUTES"] = 0
    kiosk = Kiosk(client)
    kiosk.start()
    response = kiosk.get("/kiosk/apply/step/type")
    assert response.status_code == 303 and response.headers["Location"] == "/kiosk/apply"


def test_status_lookup_shows_status_only_and_is_rate_limited(client: FlaskClient) -> None:
    kiosk = Kiosk(client)
    kiosk.fill(name="孙八")
    kiosk.post("/kiosk/apply/submit")
    app = db.session.scalars(select(Application)).one()
    kiosk.post("/kiosk/apply/finish")
    page = kiosk.get("/kiosk/apply/status")
    assert page.status_code == 200 and 'autocomplete="off"' in page.get_data(as_text=True)
    found = kiosk.post("/kiosk/apply/status", number=app.number, last4=PHONE[-4:])
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and found.headers["Cache-Control"] == "no-store"
    no_inline_code(html)
    assert app.number in html and "已接收" in html and "答复期限" in html
    assert "孙" not in html and "138" not in html and "002X" not in html
    wrong = kiosk.post("/kiosk/apply/status", number=app.number, last4="0000")
    assert wrong.status_code == 404 and "没有找到这份申请" in wrong.get_data(as_text=True)
    assert kiosk.post("/kiosk/apply/status", number="", last4="").status_code == 422
    again = kiosk.post("/kiosk/apply/status", number=app.number, last4=PHONE[-4:])
    assert again.status_code == 429  # the fourth try within a minute from this terminal
    assert kiosk.get("/kiosk/apply/status").status_code == 200  # the empty form is free


def test_status_lookup_needs_both_values(client: FlaskClient) -> None:
    kiosk = Kiosk(client)
    response = kiosk.post("/kiosk/apply/status", number="2026-000001", last4="")
    assert response.status_code == 422
    assert "请填写申请编号和手机号码后四位" in response.get_data(as_text=True)


def test_phone_page_shows_status_and_nothing_personal(client: FlaskClient) -> None:
    kiosk = Kiosk(client)
    kiosk.fill(name="周九")
    kiosk.post("/kiosk/apply/submit")
    app = db.session.scalars(select(Application)).one()
    response = client.get(f"/track/{app.token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    no_inline_code(html)
    assert app.number in html and "已接收" in html and '<html lang="zh-CN"' in html
    assert "周" not in html and "138" not in html and "110105" not in html
    assert DESCRIPTION not in html
    missing = client.get("/track/not-a-token")
    assert missing.status_code == 404 and "没有找到这份申请" in missing.get_data(as_text=True)


def test_every_apply_page_has_a_csrf_guarded_form(client: FlaskClient) -> None:
    response = client.post("/kiosk/apply/start", data={})
    assert response.status_code == 400


def test_receipt_slip_and_its_numbers(client: FlaskClient, app: Flask,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The slip the kiosk prints: number, dates, masked name/ID/phone, QR to /track/."""
    kiosk = Kiosk(client)
    kiosk.fill()
    kiosk.post("/kiosk/apply/submit")
    row = db.session.scalars(select(Application)).one()
    sent: list[Any] = []
    monkeypatch.setattr(pages.spool, "printer_for_terminal", lambda _address: "kiosk")
    monkeypatch.setattr(pages.spool, "cannot_print", lambda _status: False)
    monkeypatch.setattr(pages.spool, "enqueue", lambda _name, _kind, slip: sent.append(slip))
    with app.test_request_context():
        assert pages.print_receipt(row, "127.0.0.1")
    text = str(sent[0].to_dict())
    assert row.number in text and "110105********002X" in text and "138****5678" in text
    assert VALID_ID not in text and PHONE not in text and "张*" in text
    assert list(sent[0].qr_payloads) == [f"http://hall.example.test/track/{row.token}"]
