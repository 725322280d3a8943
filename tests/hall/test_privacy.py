"""Personal data never in logs, URLs or error pages.

The hall runs as it runs in a hall: a separate process (``gongkai run``, and ``gongkai serve``
with an access log file), logging at DEBUG into a file, with the log's masking filter switched
off so that a leak at the source shows. A citizen then files a disclosure application, takes
tickets, rates the service, leaves a suggestion and a comment on a consultation, and looks
things up, all with marked values; bad forms, unknown pages, a refused CSRF token, a wrong
method, a too-large body, a rate limit and a database that refuses a write make error pages.

Then every log file, standard output and error, the access log, every URL the answers point
to (Location headers, links, form actions, script addresses, JSON ``url`` fields, the QR codes
on pages and on the slips) and every error page is searched for the marks. The application's
own form pages may show what the citizen typed; an error page may hold it only inside the
form's own inputs, for the citizen to correct.

Positive controls show the search works: a canary path appears in the request log, and the
free-text mark (not personal data) is found on the citizen's own review and answer pages.
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from flask import Flask
from PIL import Image, ImageDraw
from sqlalchemy import text

from hall import logs
from hall.extensions import db
from printer.emulator import VirtualPrinter
from tests.feedback.support import make_consultation
from tests.printer.server_support import network_printer
from tests.staff_support import create_staff
from tests.tickets.support import make_service, make_window
from tickets import queue

#: The ``gongkai`` command of the environment running the tests.
GONGKAI = Path(sys.executable).parent / "gongkai"

NAME = "测试甲𠮷乙"
PHONE = "13912345678"
ID_NUMBER = "11010519491231002X"
EMAIL = "mark-7f3a@example.cn"
ADDRESS_MARK = "标记巷73号"
ADDRESS = "江西省赣州市章贡区沙石镇" + ADDRESS_MARK
#: Free text that is not personal data: the citizen's own pages show it (the search works).
FREE = "FREETEXT-Q7F3A"
PERSONAL = {"name": NAME, "phone": PHONE, "id": ID_NUMBER, "email": EMAIL,
            "address": ADDRESS_MARK}

_META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_URL_ATTR = re.compile(r'\s(?:href|src|action|poster|formaction|data-[\w-]+)="([^"]*)"')
_INPUT_VALUE = re.compile(r'(<input\b[^>]*\svalue=")[^"]*(")')
_TEXTAREA = re.compile(r"(<textarea\b[^>]*>).*?(</textarea>)", re.S)
_SVG = re.compile(r"<svg\b[^>]*viewBox=\"0 0 (\d+) (\d+)\"[^>]*>.*?</svg>", re.S)
_MODULE = re.compile(r"M(\d+),(\d+)H")


def variants(value: str) -> set[str]:
    """The forms a value takes in URLs, logs and JSON."""
    return {value, value.lower(), urllib.parse.quote(value), urllib.parse.quote_plus(value),
            json.dumps(value)[1:-1]}


def found_in(body: str, marks: dict[str, str]) -> list[str]:
    return [name for name, value in marks.items() if any(v in body for v in variants(value))]


# --------------------------------------------------------------------------- the citizen


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    headers: Any
    body: str
    qr: list[str] = field(default_factory=list)

    @property
    def is_html(self) -> bool:
        return "text/html" in self.headers.get("Content-Type", "")

    @property
    def is_json(self) -> bool:
        return "json" in self.headers.get("Content-Type", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def decode_qr_svgs(body: str) -> tuple[int, list[str]]:
    """The payloads of the inline SVG QR codes (drawn module by module, read by zxing)."""
    payloads = []
    svgs = 0
    for match in _SVG.finditer(body):
        modules = _MODULE.findall(match.group(0))
        if not modules:
            continue
        svgs += 1
        size, scale = int(match.group(1)), 8
        image = Image.new("L", (size * scale, size * scale), 255)
        draw = ImageDraw.Draw(image)
        for x, y in modules:
            draw.rectangle([int(x) * scale, int(y) * scale,
                            (int(x) + 1) * scale - 1, (int(y) + 1) * scale - 1], fill=0)
        payloads += [r.text for r in zxingcpp.read_barcodes(image)]
    return svgs, payloads


class Citizen:
    """A kiosk (or phone) browser: cookies, CSRF token from each page, no automatic redirects;
    every answer is kept for the search."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())
        self.token = ""
        self.exchanges: list[Exchange] = []
        self.qr_svgs = 0

    def request(self, method: str, path: str, *, form: dict[str, Any] | None = None,
                json_body: Any = None, raw: bytes | None = None, csrf: bool = True,
                accept: str = "text/html") -> Exchange:
        headers = {"Accept": accept}
        data = raw
        if form is not None:
            form = {"csrf_token": self.token, **form} if csrf else form
            data = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None or raw is not None:
            data = raw if raw is not None else json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
            headers["Accept"] = "application/json"
            headers["X-CSRFToken"] = self.token
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers=headers)
        try:
            with self.opener.open(req, timeout=30) as response:
                status, got, payload = response.status, response.headers, response.read()
        except urllib.error.HTTPError as refused:
            status, got, payload = refused.code, refused.headers, refused.read()
        kind = got.get("Content-Type", "")
        body = payload.decode("utf-8", "replace") if (
            "text" in kind or "json" in kind or "svg" in kind) else ""
        exchange = Exchange(method, path, status, got, body)
        svgs, exchange.qr = decode_qr_svgs(body)
        self.qr_svgs += svgs
        if (match := _META_TOKEN.search(body)) is not None:
            self.token = match.group(1)
        self.exchanges.append(exchange)
        return exchange

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict[str, Any] | None = None, **kwargs: Any) -> Exchange:
        return self.request("POST", path, form=form if form is not None else {}, **kwargs)

    def follow(self, exchange: Exchange) -> Exchange:
        assert exchange.status in (301, 302, 303), (exchange.path, exchange.status,
                                                    exchange.body[:300])
        location = exchange.headers["Location"]
        return self.get(urllib.parse.urlsplit(location)._replace(scheme="", netloc="").geturl())


# --------------------------------------------------------------------------- the hall


@dataclass
class Hall:
    """The test's side of the hall: the queue's window, a consultation, the database."""

    app: Flask
    window_id: int
    consultation_id: int

    def serve_next(self) -> str:
        """A clerk calls the next ticket and finishes it (so it can be rated)."""
        db.session.remove()
        ticket = queue.call_next(self.window_id, "窗口一")
        assert ticket is not None
        queue.finish(self.window_id)
        return ticket.number

    @contextmanager
    def refusing_inserts(self, table: str) -> Iterator[None]:
        """The database refuses every new row of ``table`` (a failing disk, a broken
        constraint): the write's exception takes the real 500 path."""
        db.session.remove()
        engine = db.engine
        if engine.dialect.name == "postgresql":
            create = [
                "CREATE OR REPLACE FUNCTION gk_privacy_refuse() RETURNS trigger LANGUAGE plpgsql"
                " AS $$ BEGIN RAISE EXCEPTION 'refused by the privacy test'; END $$",
                f"CREATE TRIGGER gk_privacy_refuse BEFORE INSERT ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION gk_privacy_refuse()"]
            drop = [f"DROP TRIGGER IF EXISTS gk_privacy_refuse ON {table}",
                    "DROP FUNCTION IF EXISTS gk_privacy_refuse()"]
        else:
            create = [f"CREATE TRIGGER gk_privacy_refuse BEFORE INSERT ON {table} "
                      "BEGIN SELECT RAISE(ABORT, 'refused by the privacy test'); END"]
            drop = ["DROP TRIGGER IF EXISTS gk_privacy_refuse"]
        with engine.begin() as conn:
            for statement in create:
                conn.execute(text(statement))
        try:
            yield
        finally:
            with engine.begin() as conn:
                for statement in drop:
                    conn.execute(text(statement))


@pytest.fixture
def hall(app: Flask) -> Hall:
    service = make_service("gk", "政府信息公开申请", "A")
    window = make_window(1, service)
    clerk = create_staff("clerk-privacy", "clerk")
    queue.open_window(window.id, clerk.id, clerk.username)
    consultation = make_consultation()
    db.session.commit()
    return Hall(app, window.id, consultation.id)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    base: str
    log_file: Path
    out: Path
    err: Path
    access_log: Path | None = None

    def texts(self) -> dict[str, str]:
        files = {"log file": self.log_file, "stdout": self.out, "stderr": self.err}
        if self.access_log is not None:
            files["access log"] = self.access_log
        return {name: path.read_text("utf-8", "replace") if path.exists() else ""
                for name, path in files.items()}


@contextmanager
def running(app: Flask, tmp: Path, printer: VirtualPrinter, command: list[str],
            access_log: Path | None = None) -> Iterator[Server]:
    """The hall in its own process on a free port, logging at DEBUG, unmasked, into files."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = Server(base, tmp / "gongkai.log", tmp / "stdout.txt", tmp / "stderr.txt",
                    access_log)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "GONGKAI_SECRET_KEY": uuid.uuid4().hex,
        "GONGKAI_LOG_FILE": str(server.log_file),
        "GONGKAI_LOG_LEVEL": "DEBUG",
        "GONGKAI_LOG_MASK_PERSONAL": "false",
        "GONGKAI_PUBLIC_BASE_URL": base,
        "GONGKAI_VIRTUAL_PRINTER_PORT": "0",
        "GONGKAI_PRINTERS": json.dumps({"kiosk": network_printer(printer.port)}),
        "GONGKAI_MAX_CONTENT_LENGTH": "65536",
        "GONGKAI_DISCLOSURE_LOOKUP_RATE_LIMIT": "5 per minute",
        "GONGKAI_SUGGESTION_RATE_LIMIT": "50 per minute",
    })
    args = [str(GONGKAI), *command, "--host", "127.0.0.1", "--port", str(port)]
    with server.out.open("wb") as out, server.err.open("wb") as err:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=err,
                                   start_new_session=True)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                assert process.poll() is None, server.err.read_text("utf-8", "replace")
                assert time.monotonic() < deadline, "the hall did not start within 30 s"
                time.sleep(0.1)
            yield server
        finally:
            process.send_signal(signal.SIGINT if command[0] == "run" else signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


# --------------------------------------------------------------------------- the journey


def _expect(exchange: Exchange, *statuses: int) -> Exchange:
    assert exchange.status in statuses, (exchange.method, exchange.path, exchange.status,
                                         exchange.body[:500])
    return exchange


def _form_steps(c: Citizen) -> None:
    """The disclosure application's steps with the marked values (one refused on the way)."""
    _expect(c.get("/kiosk/apply"), 200)
    c.follow(_expect(c.post("/kiosk/apply/start"), 303))
    steps: list[tuple[str, dict[str, Any], int]] = [
        ("type", {"applicant_type": "person"}, 303),
        ("applicant", {"name": NAME}, 303),
        ("identity", {"id_type": "resident_id", "id_number": ID_NUMBER}, 303),
        ("info", {"info_title": "2025年章贡区老旧小区改造项目清单", "info_doc_number": "",
                  "info_description": f"申请公开改造项目清单及资金安排。{FREE}"}, 303),
        ("delivery", {"info_format": "paper", "delivery": "email"}, 303),
        # A refused step: the page shows the typed values again, in its inputs only.
        ("contact", {"phone": PHONE, "address": ADDRESS, "email": "not-an-email"}, 422),
        ("contact", {"phone": PHONE, "address": ADDRESS, "email": EMAIL}, 303),
        ("consent", {"consent": "1"}, 303),
    ]
    for name, values, status in steps:
        answer = _expect(c.post(f"/kiosk/apply/step/{name}", values), status)
        if status == 303:
            c.follow(answer)


def journey(c: Citizen, hall: Hall, canary: str) -> dict[str, str]:
    """Everything a citizen does, with marked values; returns secrets learnt on the way."""
    _expect(c.get(f"/kiosk/{canary}"), 404)
    _expect(c.get(f"/healthz?phone={PHONE}&id={ID_NUMBER}"), 200)
    _expect(c.get("/kiosk/"), 200)

    # -- 依申请公开: the form, the review, filing, the receipt, the lookup, the phone page
    _form_steps(c)
    review = _expect(c.get("/kiosk/apply/review"), 200)
    assert FREE in review.body and NAME in review.body  # the citizen's own record, in full
    done = c.follow(_expect(c.post("/kiosk/apply/submit"), 303))
    _expect(done, 200)
    number = re.search(r"\d{4}-\d{6}", done.body)
    assert number is not None and done.qr, "the receipt shows a number and a QR code"
    track = urllib.parse.urlsplit(done.qr[0]).path
    _expect(c.get(track), 200)
    _expect(c.get("/kiosk/apply/status"), 200)
    found = _expect(c.post("/kiosk/apply/status",
                           {"number": number.group(0), "last4": PHONE[-4:]}), 200)
    assert number.group(0) in found.body
    _expect(c.post("/kiosk/apply/status", {"number": NAME, "last4": PHONE}), 404)
    _expect(c.post("/kiosk/apply/status", {"number": ID_NUMBER, "last4": ""}), 422)
    c.follow(_expect(c.post("/kiosk/apply/finish"), 303))

    # -- 取号: the script's API and the no-script form, refusals with marks, phone pages
    _expect(c.get("/kiosk/queue"), 200)
    ticket = _expect(c.request("POST", "/api/tickets",
                               json_body={"service": "gk", "request_key": uuid.uuid4().hex}),
                     201)
    taken = json.loads(ticket.body)
    _expect(c.request("POST", "/api/tickets", json_body={"service": PHONE}), 404)
    _expect(c.request("POST", "/api/tickets", json_body={"service": "gk", "priority": NAME}),
            400)
    _expect(c.request("POST", "/api/checkin", json_body={"code": ID_NUMBER}), 404)
    _expect(c.request("POST", "/api/tickets", raw=f'{{"service": "{NAME}'.encode()), 400)
    _expect(c.get(f"/t/{taken['token']}"), 200)
    _expect(c.get(f"/api/tickets/{taken['token']}", accept="application/json"), 200)
    _expect(c.get(f"/kiosk/queue/qr/{taken['token']}.svg", accept="image/svg+xml"), 200)
    _expect(c.post("/kiosk/queue/take", {"service": "gk", "key-gk": uuid.uuid4().hex}), 200)

    # -- 好差评: the kiosk's form with a comment holding marks; the phone's page
    served = hall.serve_next()
    form = _expect(c.post("/kiosk/rate", {"number": served}), 200)
    token = re.search(r'name="token" value="([^"]+)"', form.body)
    assert token is not None
    _expect(c.post("/kiosk/rate/submit", {"token": token.group(1), "score": "2",
                                          "reasons": "等候时间长",
                                          "comment": f"{NAME} {PHONE} {FREE}"}), 200)
    _expect(c.get(f"/t/{token.group(1)}/rate"), 200, 409)

    # -- 意见建议: file with a contact, refused without consent, the slip, both lookups
    _expect(c.get("/kiosk/suggest"), 200)
    _expect(c.post("/kiosk/suggest", {"category": "facility", "text": f"联系我 {PHONE}",
                                      "name": NAME, "phone": PHONE}), 422)
    filed = c.follow(_expect(c.post("/kiosk/suggest", {
        "category": "facility", "text": f"大厅座椅太少，建议增加。{FREE}", "consent": "1",
        "name": NAME, "phone": PHONE}), 303))
    code = re.search(r'id="fb-code">([^<]+)<', filed.body)
    key = re.search(r'id="fb-key">([^<]+)<', filed.body)
    assert code is not None and key is not None and filed.qr
    _expect(c.post("/kiosk/suggest/print"), 303)
    answer = _expect(c.post("/kiosk/suggest/lookup",
                            {"code": code.group(1), "key": key.group(1)}), 200)
    assert FREE in answer.body
    lookup = urllib.parse.urlsplit(filed.qr[0])
    _expect(c.get(f"{lookup.path}?{lookup.query}"), 200)  # the slip's QR code, on a phone

    # -- 征求意见: a comment with a contact
    _expect(c.get(f"/kiosk/consult/{hall.consultation_id}"), 200)
    c.follow(_expect(c.post(f"/kiosk/consult/{hall.consultation_id}/comment", {
        "text": f"同意这项调整。{FREE}", "consent": "1", "name": NAME, "phone": PHONE}), 303))

    # -- error pages, each request carrying the marks
    marked = {"category": "facility", "text": f"{NAME}{PHONE}{ID_NUMBER}{EMAIL}{ADDRESS}",
              "consent": "1", "name": NAME, "phone": PHONE, "email": EMAIL}
    _expect(c.post("/kiosk/suggest", marked, csrf=False), 400)
    _expect(c.request("PUT", "/kiosk/suggest", form=marked), 405)
    _expect(c.post(f"/kiosk/{canary}", marked), 404)
    _expect(c.get(f"/kiosk/policies/987654?name={urllib.parse.quote(NAME)}&phone={PHONE}"),
            404)
    _expect(c.get(f"/track/no-such-token?phone={PHONE}&id={ID_NUMBER}"), 404)
    _expect(c.post("/kiosk/suggest", {**marked, "text": marked["text"] * 300}), 413)
    for _attempt in range(6):  # the lookup's limit (5 per minute here) answers 429
        if c.post("/kiosk/apply/status", {"number": NAME, "last4": PHONE}).status == 429:
            break
    else:
        raise AssertionError("the status lookup was never limited")
    # A database that refuses the application: the real 500 path, with the form in flight.
    _form_steps(c)
    with hall.refusing_inserts("disclosure_application"):
        _expect(c.post("/kiosk/apply/submit"), 500, 503)
    c.follow(_expect(c.post("/kiosk/apply/finish"), 303))
    return {"suggestion key": key.group(1)}


# --------------------------------------------------------------------------- the search


def _urls(exchange: Exchange, base: str) -> list[str]:
    urls = list(exchange.qr)
    if "Location" in exchange.headers:
        urls.append(exchange.headers["Location"])
    if exchange.is_html or "svg" in exchange.headers.get("Content-Type", ""):
        urls += [html.unescape(u) for u in _URL_ATTR.findall(exchange.body)
                 if u.startswith(("/", "http", "//"))]
    if exchange.is_json:
        urls += [v for v in re.findall(r'"((?:/|https?:)[^"]*)"', exchange.body)]
    return urls


def _outside_inputs(body: str) -> str:
    """An HTML page without the values of its form's inputs and textareas."""
    return _TEXTAREA.sub(r"\1\2", _INPUT_VALUE.sub(r"\1\2", body))


def check(citizen: Citizen, server: Server, printer: VirtualPrinter,
          secrets: dict[str, str], canary: str) -> None:
    problems: list[str] = []
    # Logs: no mark at all, nor the suggestion's lookup key, nor free text.
    logged = {**PERSONAL, **secrets, "free text": FREE}
    texts = server.texts()
    for name, body in texts.items():
        for mark in found_in(body, logged):
            problems.append(f"{name} holds the {mark}")
    request_log = texts["access log"] if server.access_log is not None else texts["log file"]
    assert canary in request_log, "the request log does not show requests: the search is void"
    # Slips hand the citizen masked values only.
    slips = printer.latest()
    assert len(slips) >= 3, "receipt, ticket and suggestion slips"
    for slip in slips:
        for mark in found_in(slip.text + " ".join(slip.qr_payloads), PERSONAL):
            problems.append(f"slip {slip.number} shows the {mark}")

    origins = (server.base, "/", "data:")
    own_form = ("/kiosk/apply/step/", "/kiosk/apply/review")
    own_record = ("/kiosk/apply/", "/kiosk/suggest", "/kiosk/rate", "/kiosk/consult/")
    checked = 0
    for ex in citizen.exchanges:
        where = f"{ex.method} {ex.path} ({ex.status})"
        for url in _urls(ex, server.base):
            checked += 1
            if url.startswith("//") or not url.startswith(origins):
                problems.append(f"{where} points off the hall: {url}")
            for mark in found_in(urllib.parse.unquote(url), PERSONAL):
                problems.append(f"{where} has the {mark} in a URL: {url[:120]}")
        if ex.status >= 400:
            body = _outside_inputs(html.unescape(ex.body)) if ex.is_html else ex.body
            for mark in found_in(body, {**PERSONAL, "free text": FREE}):
                problems.append(f"{where}: the error page shows the {mark}")
        elif not ex.path.startswith(own_form):
            for mark in found_in(html.unescape(ex.body), PERSONAL):
                problems.append(f"{where} shows the {mark}")
            if FREE in ex.body and not ex.path.startswith(own_record):
                problems.append(f"{where} shows the citizen's free text")
        if "Referrer-Policy" not in ex.headers:
            problems.append(f"{where} has no Referrer-Policy")
    assert citizen.qr_svgs >= 2 and all(ex.qr for ex in citizen.exchanges
                                        if "<svg class=\"qr\"" in ex.body)
    assert any(ex.status in (500, 503) for ex in citizen.exchanges)
    assert checked > 300, f"only {checked} URLs found: the search is void"
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- the tests


def test_gongkai_run_keeps_personal_data_out_of_logs_urls_and_error_pages(
        hall: Hall, tmp_path: Path, vprinter: VirtualPrinter) -> None:
    canary = f"gk-canary-{uuid.uuid4().hex[:8]}"
    with running(hall.app, tmp_path, vprinter, ["run"]) as server:
        citizen = Citizen(server.base)
        secrets = journey(citizen, hall, canary)
        vprinter.wait_for(3, timeout=10)
    check(citizen, server, vprinter, secrets, canary)
    # The refused write was logged (a 500 with its traceback, whose SQL shows no values; or a
    # 503's one line), and the search above found none of the form's values in it.
    log = server.texts()["log file"]
    assert ("unhandled error on /kiosk/apply/submit" in log and "SQL parameters hidden" in log
            ) or "database unavailable on /kiosk/apply/submit" in log


def test_gongkai_serve_keeps_personal_data_out_of_its_access_log(
        hall: Hall, tmp_path: Path, vprinter: VirtualPrinter) -> None:
    canary = f"gk-canary-{uuid.uuid4().hex[:8]}"
    access = tmp_path / "access.log"
    command = ["serve", "--workers", "1", "--threads", "8", "--access-log", str(access)]
    with running(hall.app, tmp_path, vprinter, command, access_log=access) as server:
        citizen = Citizen(server.base)
        secrets = journey(citizen, hall, canary)
        vprinter.wait_for(3, timeout=10)
    check(citizen, server, vprinter, secrets, canary)
    assert "/kiosk/apply/submit" in access.read_text("utf-8")


# --------------------------------------------------------------------------- the log itself


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Put the root logger back as it was (pytest's handlers, its level) afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_log_file_masks_id_and_mobile_numbers_and_survives_rotation(
        tmp_path: Path, root_logging: None) -> None:
    path = tmp_path / "log" / "gongkai.log"
    logs.configure(str(path), "INFO", mask=True)
    log = logging.getLogger("gongkai.test")
    log.info("filed by %s, phone %s, +86 139-1234-5678, id %s", NAME, PHONE, ID_NUMBER.lower())
    try:
        raise ValueError(f"bad phone {PHONE} for {ID_NUMBER}")
    except ValueError:
        log.exception("failed")
    log.debug("not at INFO")
    log.info("order 2026112512345678901, ticket A001, time 1764134400123")
    written = path.read_text("utf-8")
    assert PHONE not in written and ID_NUMBER not in written
    assert ID_NUMBER.lower() not in written and "139-1234-5678" not in written
    assert written.count(logs.MOBILE_MASK) == 3 and written.count(logs.ID_MASK) == 2
    assert NAME in written  # names are kept out at the source; the filter knows numbers only
    assert "Traceback" in written and "not at INFO" not in written
    assert "2026112512345678901" in written and "1764134400123" in written  # not look-alikes
    # logrotate moves the file away (no copytruncate): the next line starts a new file.
    path.rename(path.with_suffix(".log.1"))
    log.warning("after rotation %s", PHONE)
    assert path.read_text("utf-8").count("after rotation <mobile>") == 1
    # A second set-up replaces the handler, never doubles it.
    logs.configure(str(path), "INFO", mask=True)
    log.warning("once")
    assert path.read_text("utf-8").count("once") == 1


def test_an_unwritable_log_file_falls_back_to_standard_error(
        tmp_path: Path, root_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    handler = logs.configure(str(blocker / "gongkai.log"), "INFO")
    assert isinstance(handler, logging.StreamHandler) and handler.stream is sys.stderr
    logging.getLogger("gongkai.test").info("still logging, phone %s", PHONE)
    err = capsys.readouterr().err
    assert "cannot be written" in err and "still logging, phone <mobile>" in err


def test_werkzeug_request_lines_lose_their_query_string() -> None:
    assert logs.strip_query('"GET /kiosk/suggest/lookup?code=YJ&key=AB12 HTTP/1.1"') == \
        '"GET /kiosk/suggest/lookup HTTP/1.1"'
    coloured = "\x1b[33mGET /x?phone=139 HTTP/1.1\x1b[0m"
    assert logs.strip_query(coloured) == "\x1b[33mGET /x HTTP/1.1\x1b[0m"


def test_log_level_is_checked(tmp_path: Path, root_logging: None) -> None:
    with pytest.raises(ValueError, match="LOG_LEVEL"):
        logs.configure(str(tmp_path / "x.log"), "LOUD")
