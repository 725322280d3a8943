"""Every citizen write is rate-limited per terminal.

The URL map is walked: every rule that takes POST, PUT, PATCH or DELETE outside the staff's
pages (``/staff``, ``/api/staff``; the staff sign-in has its own lockout) is a citizen write.
With every ``*_RATE_LIMIT`` setting lowered to two a minute, one terminal's third request to
each gets 429 with the kind Chinese message (JSON under ``/api`` and for JSON requests), and
the first two are answered without a server error whatever their (empty) content.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter, Rule

LOW = "2 per minute"
#: Every rate-limit setting of the hall (a new one must be added here to be tested).
LIMITS = ("TICKET_RATE_LIMIT", "RATING_LOOKUP_RATE_LIMIT", "RATING_RATE_LIMIT",
          "SUGGESTION_RATE_LIMIT", "COMMENT_RATE_LIMIT", "SUGGESTION_LOOKUP_RATE_LIMIT",
          "DISCLOSURE_LOOKUP_RATE_LIMIT", "DISCLOSURE_FILE_RATE_LIMIT",
          "KIOSK_FORM_RATE_LIMIT", "PRINT_RATE_LIMIT", "SPEECH_RATE_LIMIT")
#: Writes that only forget: refusing them would leave the last person's data on the kiosk.
NEVER_REFUSED = {
    "kiosk.reset": "the idle reset wipes the session and the draft",
    "kiosk.apply_finish": "完成 / 放弃填写 wipes the application's draft and receipt",
}
STAFF = ("/staff", "/api/staff")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
MESSAGE = "操作太频繁了，请稍等片刻再试。"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {**dict.fromkeys(LIMITS, LOW), "WTF_CSRF_ENABLED": False}


def citizen_writes(app: Flask) -> list[tuple[Rule, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(STAFF):
            continue
        for method in sorted((rule.methods or set()) & WRITES):
            out.append((rule, method))
    return sorted(out, key=lambda pair: (pair[0].rule, pair[1]))


def _url(app: Flask, rule: Rule) -> str:
    values = {name: 1 if isinstance(converter, IntegerConverter) else "x"
              for name, converter in rule._converters.items()}
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def _json_route(path: str) -> bool:
    return path.startswith("/api/") or path == "/kiosk/speech"


def test_every_limit_setting_is_lowered_here(app: Flask) -> None:
    settings = {key for key in app.config if key.endswith("_RATE_LIMIT")}
    assert settings == set(LIMITS)
    assert all(app.config[key] == LOW for key in LIMITS)


def test_every_citizen_write_is_rate_limited(app: Flask, client: FlaskClient) -> None:
    writes = citizen_writes(app)
    endpoints = {rule.endpoint for rule, _method in writes}
    assert len(writes) >= 20 and {"tickets_api.take", "kiosk.suggest", "kiosk.apply_submit",
                                  "kiosk_speech.speech"} <= endpoints
    assert set(NEVER_REFUSED) <= endpoints
    problems = []
    for n, (rule, method) in enumerate(writes):
        if rule.endpoint in NEVER_REFUSED:
            continue
        url = _url(app, rule)
        address = f"10.77.{n // 200}.{n % 200 + 1}"  # a terminal of its own per route
        body: dict[str, Any] = {"json": {}} if _json_route(url) else {"data": {}}
        answers = [client.open(url, method=method, environ_overrides={"REMOTE_ADDR": address},
                               **body) for _ in range(3)]
        first, third = answers[:2], answers[2]
        where = f"{method} {rule.rule}"
        if any(a.status_code in (429, 500) for a in first):
            problems.append(f"{where}: first answers {[a.status_code for a in first]}")
        if third.status_code != 429:
            problems.append(f"{where}: not limited ({third.status_code})")
            continue
        if _json_route(url):
            data = third.get_json(silent=True)
            if not isinstance(data, dict) or MESSAGE not in data.values():
                problems.append(f"{where}: 429 without the JSON message: {third.data[:200]!r}")
        elif MESSAGE not in third.get_data(as_text=True):
            problems.append(f"{where}: 429 page without the message")
        for answer in answers:
            answer.close()
    assert not problems, "\n".join(problems)


def test_a_limited_terminal_leaves_the_others_alone(client: FlaskClient) -> None:
    for _ in range(2):
        client.post("/kiosk/suggest", data={}, environ_overrides={"REMOTE_ADDR": "10.78.0.1"})
    busy = client.post("/kiosk/suggest", data={}, environ_overrides={"REMOTE_ADDR": "10.78.0.1"})
    other = client.post("/kiosk/suggest", data={}, environ_overrides={"REMOTE_ADDR": "10.78.0.2"})
    assert busy.status_code == 429 and other.status_code == 422


def test_wiping_is_never_refused(client: FlaskClient) -> None:
    for _ in range(6):
        assert client.post("/kiosk/reset",
                           environ_overrides={"REMOTE_ADDR": "10.79.0.1"}).status_code == 302
        assert client.post("/kiosk/apply/finish",
                           environ_overrides={"REMOTE_ADDR": "10.79.0.1"}).status_code == 303
