"""The deployment files: systemd units that name real commands with valid options, the
Chromium launcher's flags (recorded by a stub browser), its wait for the server and clean-up,
the flags' effect in real Chromium, and the kiosk and screen pages refusing the context menu
and zoom."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer
from tests.screens.support import screen_with

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SYSTEMD = DEPLOY / "systemd"
LAUNCHER = DEPLOY / "kiosk" / "launch-chromium.sh"
INSTALL = "/opt/gongkai"  # where docs/deploy.md installs the checkout

STUB = """#!/bin/sh
out={out}
: > "$out"
for arg in "$@"; do printf '%s\\n' "$arg" >> "$out"; done
profile=$(sed -n 's/^--user-data-dir=//p' "$out")
if [ -d "$profile" ]; then echo "profile-existed" >> "$out.meta"; fi
echo "pid=$$" >> "$out.meta"
date +%s.%N >> "$out.meta"
if [ -n "${{STUB_SLEEP:-}}" ]; then exec sleep "$STUB_SLEEP"; fi
exit "${{STUB_EXIT:-0}}"
"""


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read(SYSTEMD / name, encoding="utf-8")
    return parser


def environment(name: str) -> dict[str, str]:
    """The unit's ``Environment=`` defaults (configparser keeps only the last of repeats)."""
    found = {}
    for line in (SYSTEMD / name).read_text().splitlines():
        if line.startswith("Environment="):
            key, _, value = line.removeprefix("Environment=").partition("=")
            found[key] = value
    return found


def gongkai_argv(exec_line: str, env: dict[str, str]) -> list[str]:
    """An ExecStart line of ``gongkai``: its arguments, ${VAR}s filled from the defaults."""
    argv = shlex.split(re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], exec_line))
    assert argv[0] == f"{INSTALL}/.venv/bin/gongkai"
    assert (ROOT / ".venv" / "bin" / "gongkai").exists()
    return argv[1:]


def assert_valid_command(app: Flask, argv: list[str]) -> None:
    """The command exists in this build and accepts these options (click parses them)."""
    command: Any = app.cli
    args = list(argv)
    while hasattr(command, "commands") and args and args[0] in command.commands:
        command = command.commands[args.pop(0)]
    assert not hasattr(command, "commands"), f"no such gongkai command: {argv}"
    command.make_context(command.name, args)  # raises on an unknown option or bad value


def test_server_and_backup_units(app: Flask) -> None:
    server = unit("gongkai.service")
    service = server["Service"]
    assert service["Restart"] == "always"
    assert server["Unit"]["StartLimitIntervalSec"] == "0"
    assert service["User"] == "gongkai"
    assert service["EnvironmentFile"] == "-/etc/gongkai/gongkai.env"
    assert server["Install"]["WantedBy"] == "multi-user.target"
    env = environment("gongkai.service")
    argv = gongkai_argv(service["ExecStart"], env)
    assert argv[:1] == ["serve"] and "--workers" in argv and env["SERVE_WORKERS"] == "1"
    assert_valid_command(app, argv)
    assert gongkai_argv(service["ExecStartPre"], env) == ["db", "upgrade"]

    backup = unit("gongkai-backup.service")["Service"]
    assert backup["Type"] == "oneshot"
    argv = gongkai_argv(backup["ExecStart"], {})
    assert argv[0] == "backup" and "--keep" in argv and "--to" in argv
    assert_valid_command(app, argv)

    timer = unit("gongkai-backup.timer")
    assert timer["Timer"]["Unit"] == "gongkai-backup.service"
    assert timer["Timer"]["Persistent"] == "true"
    assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:\d\d", timer["Timer"]["OnCalendar"])
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_kiosk_and_screen_units() -> None:
    for name, page in (("gongkai-kiosk.service", "${GONGKAI_URL}"),
                       ("gongkai-screen@.service", "${GONGKAI_SERVER}/screens/%i")):
        parsed = unit(name)
        service = parsed["Service"]
        assert service["Restart"] == "always", name
        assert float(service["RestartSec"]) <= 5
        assert parsed["Unit"]["StartLimitIntervalSec"] == "0"  # never gives up
        assert service["ExecStart"] == f"{INSTALL}/deploy/kiosk/launch-chromium.sh {page}"
        assert parsed["Install"]["WantedBy"] == "graphical.target"
        assert "DISPLAY" in environment(name)
    assert environment("gongkai-kiosk.service")["GONGKAI_URL"].endswith("/kiosk/")
    assert os.access(LAUNCHER, os.X_OK)


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    """Where systemd-analyze exists it checks every unit, with the install path pointed at this
    checkout (it wants the executables to exist); not calling it where it does not exist."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return
    for path in SYSTEMD.iterdir():
        name = path.name.replace("@.service", "@lobby.service")
        (tmp_path / name).write_text(path.read_text().replace(INSTALL, str(ROOT)))
    units = sorted(str(p) for p in tmp_path.iterdir())
    done = subprocess.run([analyze, "verify", *units], capture_output=True, text=True,
                          timeout=60, check=False)
    said = [line for line in (done.stdout + done.stderr).splitlines()
            if str(tmp_path) in line or "gongkai" in line]
    assert done.returncode == 0 and not said, done.stdout + done.stderr


def test_env_example_names_real_settings(app: Flask) -> None:
    """Every setting the example names (commented ones too) is one the server reads: a
    ``GONGKAI_<KEY>`` of the configuration, ``DATABASE_URL``, or a ``SERVE_*`` of the unit;
    and the file is valid for both systemd and sh (gongkai-admin sources it)."""
    example = DEPLOY / "gongkai.env.example"
    names = re.findall(r"^#?([A-Z][A-Z0-9_]*)=", example.read_text(), flags=re.M)
    assert len(names) > 10
    unit_env = environment("gongkai.service")
    for name in names:
        if name.startswith("GONGKAI_"):
            assert name.removeprefix("GONGKAI_") in app.config, name
        elif name.startswith("SERVE_"):
            assert name in unit_env, name
        else:
            assert name == "DATABASE_URL", name
    done = subprocess.run(["sh", "-c", 'set -a; . "$1"; printf %s "$GONGKAI_HALL_NAME"', "sh",
                           str(example)], capture_output=True, text=True, timeout=10,
                          check=False)
    assert done.returncode == 0 and done.stdout == "章贡区政务服务中心 政务公开专区", done.stderr


def test_gongkai_admin_runs_gongkai_with_the_settings_file(tmp_path: Path) -> None:
    """deploy/gongkai-admin reads the env file as systemd does (quotes and all), runs from the
    checkout and hands over its arguments (a stub stands in for .venv/bin/gongkai)."""
    checkout = tmp_path / "opt-gongkai"
    (checkout / "deploy").mkdir(parents=True)
    (checkout / ".venv" / "bin").mkdir(parents=True)
    shutil.copy2(DEPLOY / "gongkai-admin", checkout / "deploy" / "gongkai-admin")
    stub = checkout / ".venv" / "bin" / "gongkai"
    stub.write_text('#!/bin/sh\nprintf "%s|%s|%s|%s\\n" "$PWD" "$GONGKAI_HALL_NAME" '
                    '"$SERVE_WORKERS" "$*"\n')
    stub.chmod(0o755)
    settings = tmp_path / "gongkai.env"
    shutil.copy2(DEPLOY / "gongkai.env.example", settings)
    done = subprocess.run([str(checkout / "deploy" / "gongkai-admin"), "doctor", "--json"],
                          capture_output=True, text=True, timeout=10, check=False,
                          env={**os.environ, "GONGKAI_ENV_FILE": str(settings)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{checkout}|章贡区政务服务中心 政务公开专区|1|doctor --json"


# -- the launcher -----------------------------------------------------------------------------


def run_launcher(tmp_path: Path, url: str, wait: bool = True, **env: str) -> tuple[
        subprocess.Popen[bytes], Path]:
    out = tmp_path / "argv.txt"
    stub = tmp_path / "chromium-stub"
    stub.write_text(STUB.format(out=shlex.quote(str(out))))
    stub.chmod(0o755)
    (tmp_path / "profiles").mkdir(exist_ok=True)
    full_env = {**os.environ, "CHROMIUM": str(stub), "TMPDIR": str(tmp_path / "profiles"),
                "GONGKAI_WAIT_SECONDS": "0", **env}
    with (tmp_path / "launcher.log").open("w") as log:
        proc = subprocess.Popen([str(LAUNCHER), url], env=full_env, stdout=log, stderr=log)
    if wait:
        proc.wait(timeout=30)
    return proc, out


def test_launcher_flags(tmp_path: Path) -> None:
    url = "http://192.0.2.1:5000/screens/lobby"
    proc, out = run_launcher(tmp_path, url, STUB_EXIT="3",
                             CHROMIUM_EXTRA_FLAGS="--window-position=1920,0")
    assert proc.returncode == 3  # Chromium's exit status reaches systemd (Restart=always)
    argv = out.read_text().splitlines()
    assert argv[-1] == url
    for flag in ("--kiosk", "--disable-pinch", "--overscroll-history-navigation=0",
                 "--autoplay-policy=no-user-gesture-required", "--no-first-run",
                 "--noerrdialogs", "--disable-session-crashed-bubble",
                 "--hide-crash-restore-bubble", "--password-store=basic",
                 "--window-position=1920,0"):
        assert flag in argv, flag
    features = [a for a in argv if a.startswith("--disable-features=")]
    assert len(features) == 1  # Chromium honours only one --disable-features
    assert {"TouchpadOverscrollHistoryNavigation", "Translate"} <= set(
        features[0].split("=", 1)[1].split(","))
    profile = Path(next(a for a in argv if a.startswith("--user-data-dir=")).split("=", 1)[1])
    assert profile.parent == tmp_path / "profiles"
    assert "profile-existed" in (tmp_path / "argv.txt.meta").read_text()
    assert not profile.exists()  # thrown away when Chromium exits
    assert list((tmp_path / "profiles").iterdir()) == []


def test_launcher_without_url_or_browser_says_so(tmp_path: Path) -> None:
    done = subprocess.run([str(LAUNCHER)], capture_output=True, text=True, timeout=10,
                          check=False)
    assert done.returncode != 0 and "usage" in done.stderr
    done = subprocess.run([str(LAUNCHER), "http://x/"], capture_output=True, text=True,
                          timeout=10, check=False,
                          env={**os.environ, "CHROMIUM": str(tmp_path / "none"),
                               "GONGKAI_WAIT_SECONDS": "0"})
    assert done.returncode != 0


def test_launcher_waits_for_the_server(app: Flask, tmp_path: Path) -> None:
    """Chromium starts only once /healthz answers, so the first page is never an error."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    proc, out = run_launcher(tmp_path, f"http://127.0.0.1:{port}/kiosk/", wait=False,
                             GONGKAI_WAIT_SECONDS="30")
    time.sleep(1.2)
    assert not out.exists()  # still waiting
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    started = time.time()
    thread.start()
    try:
        proc.wait(timeout=20)
    finally:
        server.shutdown()
        thread.join(5)
    assert proc.returncode == 0
    launched = float((tmp_path / "argv.txt.meta").read_text().splitlines()[-1])
    assert launched >= started
    assert out.read_text().splitlines()[-1] == f"http://127.0.0.1:{port}/kiosk/"


def test_launcher_stops_chromium_and_cleans_up_on_sigterm(tmp_path: Path) -> None:
    proc, out = run_launcher(tmp_path, "http://192.0.2.1/kiosk/", wait=False, STUB_SLEEP="30")
    meta = tmp_path / "argv.txt.meta"
    deadline = time.monotonic() + 10
    while not (meta.exists() and "pid=" in meta.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(re.search(r"pid=(\d+)", meta.read_text()).group(1))  # type: ignore[union-attr]
    proc.send_signal(signal.SIGTERM)  # what systemctl stop sends
    proc.wait(timeout=10)
    assert proc.returncode != 0
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
    assert list((tmp_path / "profiles").iterdir()) == []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


# -- in real Chromium -------------------------------------------------------------------------


def _pinch_scale(page: Any) -> float:
    """A touchpad pinch (Ctrl+wheel, how desktop Chromium zooms) at the page's middle."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.synthesizePinchGesture",
             {"x": 200, "y": 200, "scaleFactor": 2.0, "gestureSourceType": "mouse"})
    page.wait_for_timeout(150)
    return float(page.evaluate("visualViewport.scale"))


PLAIN = "<!doctype html><html><body><p style='height:3000px'>政务公开</p></body></html>"


@pytest.mark.browser
def test_launcher_flags_stop_pinch_zoom_in_chromium(browser: Any, tmp_path: Path) -> None:
    """The launcher's page flags in real Chromium: a page with no defence of its own zooms
    under a pinch in plain Chromium and does not with the flags."""
    _, out = run_launcher(tmp_path, "http://192.0.2.1/")
    page_flags = [a for a in out.read_text().splitlines()
                  if a.startswith(("--disable-pinch", "--overscroll-history-navigation",
                                   "--disable-features"))]
    assert len(page_flags) == 3
    context = browser.new_context(has_touch=True)
    page = context.new_page()
    page.set_content(PLAIN)
    assert _pinch_scale(page) > 1.5  # the control: plain Chromium zooms
    context.close()
    flagged = browser.browser_type.launch(executable_path=CHROMIUM,
                                          args=CHROMIUM_ARGS + page_flags)
    try:
        page = flagged.new_context(has_touch=True).new_page()
        page.set_content(PLAIN)
        assert _pinch_scale(page) == 1
    finally:
        flagged.close()


@pytest.mark.browser
def test_kiosk_and_screen_pages_refuse_context_menu_and_zoom(
        app: Flask, live_server: LiveServer, browser: Any) -> None:
    screen_with([], name="lobby")
    context = browser.new_context(has_touch=True, viewport={"width": 1080, "height": 1920})
    try:
        for path, touch_action in (("/kiosk/", "pan-x pan-y"), ("/screens/lobby", "none")):
            page = context.new_page()
            page.goto(live_server.url + path)
            page.wait_for_load_state("load")
            page.wait_for_function("document.readyState === 'complete'")
            prevented = page.evaluate("""() => {
                const event = new MouseEvent('contextmenu', {bubbles: true, cancelable: true,
                                                             clientX: 100, clientY: 300});
                document.elementFromPoint(100, 300).dispatchEvent(event);
                return event.defaultPrevented;
            }""")
            assert prevented is True, path
            assert page.evaluate("getComputedStyle(document.body).touchAction") == touch_action
            assert _pinch_scale(page) == 1, path
            page.close()
        page = context.new_page()  # a page without the kiosk's script: the menu is allowed
        page.set_content(PLAIN)
        assert page.evaluate("""() => {
            const event = new MouseEvent('contextmenu', {bubbles: true, cancelable: true});
            document.body.dispatchEvent(event);
            return event.defaultPrevented;
        }""") is False
    finally:
        context.close()
