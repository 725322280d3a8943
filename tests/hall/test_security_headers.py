"""Security headers on every kind of answer, and secrets only from configuration.

Every page kind (kiosk pages, the lobby screen, staff pages, the JSON API, static files,
error pages, ``/healthz``, audio, QR images) carries a Content-Security-Policy with
``frame-ancestors``, ``X-Content-Type-Options: nosniff`` and a Referrer-Policy; pages of the
kiosk and of the staff, which may show a person's data, are ``Cache-Control: no-store``.
The repository holds no secret value; ``create_app`` takes them from the environment.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from disclosure import workflow
from feedback import suggestions
from hall.app import create_app
from hall.crypto import fernet, seal, unseal
from hall.models import Role
from tests.disclosure.support import make_input
from tests.feedback.support import make_consultation
from tests.screens.support import screen_with
from tests.tickets.support import make_service

ROOT = Path(__file__).resolve().parents[2]
REFERRER_POLICIES = {"same-origin", "no-referrer", "strict-origin",
                     "strict-origin-when-cross-origin"}


def _check(response: TestResponse, where: str) -> list[str]:
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    if "frame-ancestors" not in csp or "default-src 'self'" not in csp:
        problems.append(f"{where}: CSP {csp!r}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{where}: no nosniff")
    if response.headers.get("Referrer-Policy") not in REFERRER_POLICIES:
        problems.append(f"{where}: Referrer-Policy {response.headers.get('Referrer-Policy')!r}")
    return problems


def _fetch(client: FlaskClient, path: str) -> TestResponse:
    """GET ``path`` with the body read and the response closed (files are streamed)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def _no_store(response: TestResponse, where: str) -> list[str]:
    if "no-store" not in response.headers.get("Cache-Control", ""):
        return [f"{where}: Cache-Control {response.headers.get('Cache-Control')!r}"]
    return []


@pytest.fixture
def filled(app: Flask) -> dict[str, Any]:
    """A service, a screen, a consultation, an application and a suggestion."""
    make_service()
    screen_with([], name="lobby")
    consultation = make_consultation()
    application = workflow.file_application(make_input())
    suggestion = suggestions.submit("facility", "大厅座椅太少，建议增加。", consent=True,
                                    name="张三", phone="13812345678")
    return {"consultation": consultation.id, "application": application.id,
            "suggestion": suggestion.id}


def test_every_public_kind_of_answer_carries_the_headers(client: FlaskClient,
                                                          filled: dict[str, Any]) -> None:
    pages = {
        "kiosk start": ("/kiosk/", 200), "kiosk apply": ("/kiosk/apply", 200),
        "kiosk suggest": ("/kiosk/suggest", 200), "kiosk queue": ("/kiosk/queue", 200),
        "kiosk consultation": (f"/kiosk/consult/{filled['consultation']}", 200),
        "kiosk search": ("/kiosk/search?q=政府", 200),
        "lobby screen": ("/screens/lobby", 200), "screen state": ("/screens/lobby/state.json", 200),
        "service worker": ("/screens/sw.js", 200),
        "JSON API": ("/api/services", 200), "search API": ("/api/search?q=政府", 200),
        "static css": ("/static/hall/hall/base.css", 200),
        "kiosk static js": ("/kiosk/static/kiosk/js/kiosk.js", 200),
        "voice clip": ("/voice/qing.wav", 200),
        "healthz": ("/healthz", 200), "staff login": ("/staff/login", 200),
        "kiosk 404": ("/kiosk/no-such-page", 404), "API 404": ("/api/no-such-thing", 404),
        "staff 404": ("/staff/no-such-page", 404), "root redirect": ("/", 302),
        "bad parameter": ("/kiosk/suggest/answers?page=x", 400),
    }
    problems: list[str] = []
    for where, (path, status) in pages.items():
        response = _fetch(client, path)
        assert response.status_code == status, (where, response.status_code)
        problems += _check(response, where)
        is_html = response.mimetype == "text/html"
        if is_html and path.startswith(("/kiosk", "/staff")):
            problems += _no_store(response, where)
        if "static" in path and "no-store" in response.headers.get("Cache-Control", ""):
            problems.append(f"{where}: static files may be cached")
    for where, response in {
        "405": client.put("/kiosk/suggest"),
        "CSRF refused": client.post("/kiosk/suggest", data={"text": "x"}),
        "API refusal": client.post("/api/tickets", json={"service": "none"}),
    }.items():
        assert response.status_code >= 400, where
        problems += _check(response, where)
    assert not problems, "\n".join(problems)


def test_every_staff_page_is_no_store_with_the_headers(
        client: FlaskClient, filled: dict[str, Any], login_as: Any) -> None:
    login_as(Role.ADMIN)
    adapter = client.application.url_map.bind("localhost")
    paths = [rule.rule for rule in client.application.url_map.iter_rules()
             if rule.rule.startswith("/staff") and "GET" in (rule.methods or ())
             and not rule.arguments and not rule.endpoint.endswith("static")]
    paths += [f"/staff/disclosure/{filled['application']}",
              f"/staff/feedback/suggestions/{filled['suggestion']}",
              f"/staff/feedback/consultations/{filled['consultation']}/comments.csv"]
    assert adapter.match("/staff/disclosure/1")  # the case page exists under this address
    problems: list[str] = []
    pages = 0
    for path in paths:
        response = _fetch(client, path)
        if response.status_code >= 500:
            problems.append(f"{path}: {response.status_code}")
        problems += _check(response, path) + _no_store(response, path)
        pages += response.status_code == 200
    assert pages >= 30
    # the officer's case page shows the masked ID; its full values are one audited click away
    case = client.get(f"/staff/disclosure/{filled['application']}").get_data(as_text=True)
    assert "13812345678" not in case
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- secrets

#: What is deployed: the packages, the deploy files, the docs and the top-level files. Tests,
#: benchmarks and scripts build throwaway apps and may name throwaway keys.
SHIPPED = ["hall", "content", "kiosk", "printer", "screens", "tickets", "disclosure",
           "feedback", "deploy", "docs"]
TOP_LEVEL = ["pyproject.toml", "Makefile", "README.md", "babel.cfg"]
TEXT = {".py", ".toml", ".cfg", ".ini", ".md", ".sh", ".service", ".timer", ".cmd", ".ps1",
        ".env", ".example", ".json", ".yml", ".yaml", ".txt", ".html", ".js", ".conf", ".mako",
        ""}
_ASSIGNED = re.compile(
    r"""(?ix)\b(secret[_-]?key|personal[_-]?data[_-]?key|password|passwd|api[_-]?key
        |csrf[_-]?secret|fernet[_-]?key)\b["']?\s*[:=]\s*(?:["'](?P<value>[^"'\s]{6,})["'])""")
_URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@\"'<>]+:(?P<value>[^/\s@\"'<>]+)@")
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_ENV_SECRET = re.compile(
    r"(?i)GONGKAI_(SECRET_KEY|PERSONAL_DATA_KEY)\s*=\s*[\"']?(?P<value>[^\s\"'$]{6,})")
PATTERNS = (_ASSIGNED, _URL_PASSWORD, _PEM, _ENV_SECRET)
#: What documentation writes where a secret goes: …, <password>, PASSWORD, xxxx (a default
#: such as "change-me" is a secret people forget to change: it is reported).
_PLACEHOLDER = re.compile(r"^(?:…+|\.{3}|<[^>]*>|[A-Z_]{3,}|x{3,})$")


def _secrets_in(body: str) -> list[re.Match[str]]:
    out = []
    for pattern in PATTERNS:
        for match in pattern.finditer(body):
            value = match.groupdict().get("value")
            if value is None or not _PLACEHOLDER.match(value):
                out.append(match)
    return out


def _shipped_files() -> list[Path]:
    files = [ROOT / name for name in TOP_LEVEL if (ROOT / name).is_file()]
    for top in SHIPPED:
        for path in (ROOT / top).rglob("*"):
            if (path.is_file() and path.suffix in TEXT and "__pycache__" not in path.parts
                    and path.stat().st_size < 2_000_000):
                files.append(path)
    return files


def test_the_repository_holds_no_secret_value() -> None:
    files = _shipped_files()
    assert len(files) > 150
    problems = []
    for path in files:
        body = path.read_text("utf-8", "replace")
        for match in _secrets_in(body):
            line = body.count("\n", 0, match.start()) + 1
            problems.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)[:80]}")
    assert not problems, "\n".join(problems)
    assert "instance/" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_secret_scan_finds_what_it_looks_for() -> None:
    caught = [
        'SECRET_KEY = "d41d8cd98f00b204"',
        '"PERSONAL_DATA_KEY": "0123456789abcdef"',
        "redis://gongkai:hunter22@10.0.0.5:6379/0",
        "Environment=GONGKAI_SECRET_KEY=0f9c2a77e1",
        "-----BEGIN RSA PRIVATE KEY-----",
        'password = "change-me"',
    ]
    passed = ['"PERSONAL_DATA_KEY": None', "SECRET_KEY = os.environ['X']",
              "postgresql+psycopg://postgres@127.0.0.1:5432/gongkai",
              "GONGKAI_SECRET_KEY=$(cat /etc/gongkai/secret)", 'type="password" name="password"',
              "DATABASE_URL=postgresql://gongkai:…@127.0.0.1/gongkai",
              "#DATABASE_URL=postgresql://gongkai:PASSWORD@127.0.0.1/gongkai",
              "GONGKAI_PERSONAL_DATA_KEY=<key>", "GONGKAI_SECRET_KEY="]
    for sample in caught:
        assert _secrets_in(sample), sample
    for sample in passed:
        assert not _secrets_in(sample), sample


def test_create_app_takes_its_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.setenv("GONGKAI_SECRET_KEY", "env-secret-5b1e")
    monkeypatch.setenv("GONGKAI_PERSONAL_DATA_KEY", "env-personal-9c2d")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.secret_key == "env-secret-5b1e"
    assert app.config["PERSONAL_DATA_KEY"] == "env-personal-9c2d"
    with app.app_context():
        sealed = seal("13812345678")
        # sealed under the dedicated key (not under SECRET_KEY's derivation)
        assert fernet(secret="env-personal-9c2d").decrypt(sealed.encode()) == b"13812345678"
    monkeypatch.setenv("GONGKAI_PERSONAL_DATA_KEY", "another-key-77aa")
    monkeypatch.setenv("GONGKAI_SECRET_KEY", "another-secret-1f")
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with other.app_context():
        assert unseal(sealed) is None  # another installation's keys open nothing


def test_without_settings_the_secret_key_is_the_instance_file(monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.delenv("GONGKAI_SECRET_KEY", raising=False)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    path = Path(app.instance_path) / "secret_key"
    assert app.secret_key == path.read_text().strip() and len(app.secret_key) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.parent.name == "instance"  # ignored by git (checked above)
