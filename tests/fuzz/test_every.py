"""The fuzz tests stay "every": each write endpoint of the app is in the table, ids in
addresses that cannot exist are refused calmly, hostile input with CSRF on is a clean 400,
and the pages that show stored text escape it."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from content.models import Notice
from feedback.models import Suggestion
from hall.app import create_app
from hall.extensions import db, socketio
from screens.models import EmergencyMessage
from screens.push import NAMESPACE
from tests.fuzz.checks import check_response, unclean_values
from tests.fuzz.seed import FUZZ, Fuzz
from tests.fuzz.strategies import form_data, hostile_text, json_body, json_value
from tests.fuzz.targets import ALL

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: Ids no table holds: zero, the largest a 32-bit integer column holds, past it, past 64 bits.
NO_SUCH_IDS = (0, 2**31 - 1, 2**31, 2**63, 10**30)


@pytest.fixture(scope="module")
def url_map_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """An app for its URL map only (no database is touched)."""
    folder = tmp_path_factory.mktemp("urlmap")
    return create_app({"TESTING": True, "SECRET_KEY": "t",
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'unused.sqlite3'}"})


def test_every_write_endpoint_is_in_the_table(url_map_app: Flask) -> None:
    """A new POST (PUT, PATCH, DELETE) endpoint must be added to ``targets.py``."""
    writes = {rule.endpoint for rule in url_map_app.url_map.iter_rules()
              if rule.methods and rule.methods & WRITE_METHODS}
    covered = {t.endpoint for t in ALL if t.method in WRITE_METHODS}
    assert not writes - covered, f"write endpoints not fuzzed: {sorted(writes - covered)}"
    known = {rule.endpoint for rule in url_map_app.url_map.iter_rules()}
    stale = {t.endpoint for t in ALL} - known
    assert not stale, f"targets.py names endpoints the app does not have: {sorted(stale)}"


def _int_rules(app: Flask) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Each rule with an integer in its address, as (endpoint, method, other arguments)."""
    fixed = {"kind": "policy", "name": "qing", "action": "register", "token": "x"}
    for rule in app.url_map.iter_rules():
        ints = [a for a, conv in rule._converters.items()
                if isinstance(conv, IntegerConverter)]
        if ints:
            for method in sorted((rule.methods or set()) & ({"GET"} | WRITE_METHODS)):
                yield rule.endpoint, method, {a: fixed[a] for a in rule.arguments
                                              if a not in ints}


def test_ids_that_do_not_exist(fuzz: Fuzz) -> None:
    """Zero and huge ids in every address that takes one: 404 (or a refusal), never a 500."""
    checked = 0
    for endpoint, method, others in _int_rules(fuzz.app):
        rule = next(r for r in fuzz.app.url_map.iter_rules() if r.endpoint == endpoint)
        for value in NO_SUCH_IDS:
            values = {**others, **{a: value for a in rule.arguments if a not in others}}
            with fuzz.app.test_request_context():
                path = fuzz.app.url_for(endpoint, **values)
            who = "root" if path.startswith("/staff") else "kiosk"  # kiosk pages may reset
            response = fuzz.client(who).open(path, method=method)
            check_response(response, f"{method} {path}")
            checked += 1
    assert checked > 100


def _count_suggestions(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Suggestion)) or 0


def test_hostile_input_with_csrf_on_is_a_clean_400(fuzz: Fuzz) -> None:
    """Forms and JSON without a valid token: 400 with the "page expired" message, nothing
    written. (The other fuzz tests turn CSRF off to reach the validation behind it.)"""
    fuzz.app.config["WTF_CSRF_ENABLED"] = True
    client = fuzz.app.test_client()  # a new session: no token was ever issued to it
    before = _count_suggestions(fuzz.app)
    fields = ("category", "text", "consent", "name", "phone", "csrf_token")
    base = {"category": ["facility"], "text": ["大厅的座椅太少，建议增加。"]}

    @settings(FUZZ, max_examples=15)
    @given(form=form_data(fields, base), body=json_value())
    def run(form: dict[str, Any], body: Any) -> None:
        response = client.post("/kiosk/suggest", data=form)
        check_response(response, "POST /kiosk/suggest", form)
        assert response.status_code == 400, response.status_code
        answer = client.post("/kiosk/speech", data=json_body(body).encode(),
                             content_type="application/json")
        check_response(answer, "POST /kiosk/speech", body)
        assert answer.status_code == 400 and answer.is_json, answer.status_code

    try:
        run()
    finally:
        fuzz.app.config["WTF_CSRF_ENABLED"] = False
    assert _count_suggestions(fuzz.app) == before


@pytest.mark.parametrize(("write", "page"), [
    (("/kiosk/suggest", {"category": "facility",
                         "text": "<script>alert(1)</script>增加座椅<img src=x onerror=alert(2)>"}),
     "/staff/feedback/?show=all"),
    (("/staff/screens/ticker/new", {"text": "<script>alert(1)</script>办公时间调整",
                                    "enabled": "y", "weekdays": [str(d) for d in range(7)]}),
     "/staff/screens/ticker/"),
])
def test_listing_pages_escape_stored_markup(fuzz: Fuzz, write: tuple[str, dict[str, Any]],
                                            page: str) -> None:
    """What citizens and staff typed is shown as text: ``&lt;script`` on the page, never a
    live ``<script>`` (the only scripts a page has are its own modules)."""
    path, values = write
    client = fuzz.client("kiosk" if path.startswith("/kiosk") else "root")
    response = client.post(path, data=values)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    html = fuzz.client("root").get(page).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html


def test_one_line_fields_take_no_line_breaks(fuzz: Fuzz) -> None:
    """A staff form's one-line input keeps the text, with breaks and tabs as spaces and
    control characters gone; a multi-line one keeps its lines (as LF)."""
    client = fuzz.client("root")
    response = client.post("/staff/screens/emergency/send", data={
        "title": "停电\r\n通知\t\x00", "text": "第一行\r\n第二行\x1b", "target": "all"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    with fuzz.app.app_context():
        row = db.session.scalars(select(EmergencyMessage)
                                 .order_by(EmergencyMessage.id.desc())).first()
        assert row is not None
        assert (row.title, row.text) == ("停电 通知", "第一行\n第二行")
        db.session.remove()


def test_imported_text_is_cleaned(fuzz: Fuzz) -> None:
    """A content bundle (a file, so not cleaned at the edge) with control characters and a
    lone surrogate in its text imports clean; the surrogate alone used to fail the import."""
    client = fuzz.client("root")
    exported = client.post("/staff/transfer/export", data={"format": "json",
                                                           "section": ["notices"]})
    bundle = json.loads(exported.data)
    bundle["notices"][0]["title"] = "通知\x1b[31m标题\x85\ud800"
    body = json.dumps(bundle, ensure_ascii=True).encode()
    started = client.post("/staff/transfer/import", data={
        "file": (io.BytesIO(body), "bundle.json")}, content_type="multipart/form-data")
    assert started.status_code == 303, started.get_data(as_text=True)[:500]
    job = started.headers["Location"].split("job=")[1]
    deadline = time.monotonic() + 30
    while not (status := client.get(f"/staff/transfer/status/{job}").get_json())["finished"]:
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert status["state"] == "done", status
    with fuzz.app.app_context():
        titles = set(db.session.scalars(select(Notice.title)))
        db.session.remove()
    assert "通知[31m标题\ufffd" in titles
    assert not unclean_values(fuzz.app)


@st.composite
def _screen_message(draw: st.DrawFn) -> Any:
    """A hello or heartbeat from a "screen": the real name, or anything, with anything."""
    if draw(st.integers(0, 4)) == 0:
        return draw(json_value())
    return {"name": draw(st.one_of(st.just("lobby"), hostile_text(surrogates=True))),
            "on_air": draw(st.one_of(hostile_text(surrogates=True), json_value())),
            "version": draw(st.one_of(st.integers(-(2**70), 2**70), json_value())),
            "version_seen": draw(json_value())}


def test_screen_socket_messages(fuzz: Fuzz) -> None:
    """The lobby screens' Socket.IO messages (not requests, so not cleaned at the edge):
    every answer is an event, nothing unclean is stored, the registry keeps working."""
    client = socketio.test_client(fuzz.app, namespace=NAMESPACE)
    assert client.is_connected(NAMESPACE)

    @settings(FUZZ, max_examples=30)
    @given(event=st.sampled_from(["hello", "heartbeat", "follow"]), data=_screen_message())
    def run(event: str, data: Any) -> None:
        client.emit(event, data, namespace=NAMESPACE)
        client.get_received(NAMESPACE)

    try:
        run()
        client.emit("heartbeat", {"name": "lobby", "on_air": "item-²\x00"}, namespace=NAMESPACE)
    finally:
        client.disconnect(namespace=NAMESPACE)
    assert not unclean_values(fuzz.app)
    page = fuzz.client("root").get("/staff/screens/")
    check_response(page, "GET /staff/screens/ after hostile heartbeats")
    assert page.status_code == 200
