"""The screen page over HTTP: the shell, the embedded first state, the service worker, and the
browser code checked for ES2017 (Chromium 61) with npm's es-check."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.screens.fixtures.page_support import load_state, serve_fixture

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "screens" / "static" / "screens"
BROWSER_JS = [STATIC / "screen.js", STATIC / "board.js", STATIC / "sw.js",
              STATIC / "vendor" / "socket.io.min.js"]
ES_CHECK_DIR = Path(os.environ.get("GONGKAI_ES_CHECK_DIR", "/tmp/gongkai-es-check"))


def _initial_state(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="initial-state">(.*?)</script>',
                      html, re.S)
    assert found, "no embedded initial state"
    state: dict[str, object] = json.loads(found.group(1))
    return state


def test_page_embeds_the_first_state(client: FlaskClient,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    state = load_state()
    serve_fixture(monkeypatch, state)
    response = client.get("/screens/lobby")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="zh-CN" class="orientation-landscape">' in html
    assert _initial_state(html) == state
    assert "章贡区政务服务中心 政务公开专区" in html
    assert 'data-zone="side" aria-label="叫号信息" hidden' in html
    assert 'data-state-url="/screens/lobby/state.json"' in html


def test_page_follows_csp_rules(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """No inline script or style: only JSON data blocks and scripts from our own origin."""
    serve_fixture(monkeypatch, load_state())
    response = client.get("/screens/lobby")
    html = response.get_data(as_text=True)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert " style=" not in html and "<style" not in html
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'type="application/json"' in tag or 'src="/screens/static/' in tag, tag


def test_state_text_cannot_break_out_of_the_data_block(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    state = load_state()
    state["ticker"] = [{"id": 1, "text": "</script><script>alert(1)</script>"}]
    serve_fixture(monkeypatch, state)
    html = client.get("/screens/lobby").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert _initial_state(html)["ticker"] == state["ticker"]


def test_portrait_screen_gets_the_portrait_layout(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    state = load_state()
    state["screen"]["orientation"] = "portrait"
    state["side"] = {"kind": "queue"}
    serve_fixture(monkeypatch, state)
    html = client.get("/screens/lobby").get_data(as_text=True)
    assert 'class="orientation-portrait"' in html
    assert 'data-zone="side" aria-label="叫号信息">' in html  # shown: the state has a side


def test_unknown_screen_is_404(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    serve_fixture(monkeypatch, load_state())
    response = client.get("/screens/nowhere")
    assert response.status_code == 404
    assert "页面没有找到" in response.get_data(as_text=True)


def test_service_worker_scope_covers_every_screen(client: FlaskClient) -> None:
    response = client.get("/screens/sw.js")
    assert response.status_code == 200
    assert response.headers["Service-Worker-Allowed"] == "/screens/"
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert "no-cache" in response.headers["Cache-Control"]
    assert "addEventListener('fetch'" in response.get_data(as_text=True)
    response.close()


def test_browser_code_and_vendored_client_are_served(client: FlaskClient) -> None:
    for path in ("screen.js", "screen.css", "vendor/socket.io.min.js"):
        response = client.get(f"/screens/static/screens/{path}")
        assert response.status_code == 200, path
        response.close()
    assert (STATIC / "vendor" / "LICENSE").read_text().startswith("The MIT License")
    assert "Socket.IO v4." in (STATIC / "vendor" / "socket.io.min.js").read_text()[:200]


def test_css_avoids_what_chromium_61_lacks() -> None:
    css = (STATIC / "screen.css").read_text()
    code = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    banned_css = (r"(?<![\w-])(?:row-|column-)?gap\s*:", r"\binset\s*:", r"\bclamp\(",
                  r"\bmin\(", r"\bmax\(", r"aspect-ratio", r"rgb\(\d+ \d+ \d+")
    for banned in banned_css:
        assert not re.search(banned, code), banned


def _es_check() -> Path:
    """npm's es-check, installed once into a tool folder; skip only if npm cannot get it."""
    binary = ES_CHECK_DIR / "node_modules" / ".bin" / "es-check"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed, so es-check cannot be installed")
    ES_CHECK_DIR.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [npm, "install", "--prefix", str(ES_CHECK_DIR), "--no-audit", "--no-fund", "es-check@9"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    if result.returncode != 0 or not binary.exists():
        pytest.skip(f"es-check could not be installed with npm: {result.stderr.strip()[-300:]}")
    return binary


def test_browser_code_is_es2017() -> None:
    """Chromium 61 runs ES2017: es-check parses every served script at that level."""
    es_check = _es_check()
    result = subprocess.run([str(es_check), "es2017", *map(str, BROWSER_JS)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_es_check_rejects_newer_syntax(tmp_path: Path) -> None:
    """The check above can fail: optional chaining is refused at es2017."""
    es_check = _es_check()
    newer = tmp_path / "newer.js"
    newer.write_text("var a = {}; var b = a?.c ?? 1;\n")
    result = subprocess.run([str(es_check), "es2017", str(newer)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 0
