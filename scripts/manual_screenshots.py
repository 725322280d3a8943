"""Screenshots for the staff manual (``docs/manual.md``), taken from a real running hall.

Run: ``.venv/bin/python scripts/manual_screenshots.py [--out docs/img/manual]
[--chromium /usr/bin/chromium]``.

It builds a throw-away instance in a temporary folder (SQLite, migrated, the ``gongkai demo``
content, screens and queue), adds two staff accounts, and serves it as ``gongkai run`` does
(``hall.cli.serve`` in a thread of this process: the print spool's worker and a virtual
printer on a free port). Chromium (through Playwright) then walks what the manual shows:
the kiosk start screen and a policy with its read-aloud button (1080×1920), a ticket taken at
取号 (which prints a slip on the virtual printer), the counter page after "呼叫下一位", the
lobby screen with that call on its board (1920×1080), the printers' page with the slip, the
slip itself, the staff home and the list of applications for disclosure.

Each PNG is scaled down and reduced to a palette so that the docs stay small (at most
``MAX_BYTES`` each); the script stops with an error if a page does not show what it waits for.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import Flask
from PIL import Image
from playwright.sync_api import ViewportSize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

log = logging.getLogger("manual_screenshots")

#: Upper bound for each PNG in the docs.
MAX_BYTES = 200_000
ADMIN, ADMIN_NAME = "manual-admin", "王敏"
CLERK, CLERK_NAME = "manual-clerk", "李华"
#: Used only inside the throw-away instance, which is deleted at the end.
PASSWORD = "Manual-shots-2026!"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
KIOSK: ViewportSize = {"width": 1080, "height": 1920}
LOBBY: ViewportSize = {"width": 1920, "height": 1080}
STAFF: ViewportSize = {"width": 1280, "height": 860}
TIMEOUT_MS = 15_000


@dataclass
class Hall:
    app: Flask
    base: str
    instance: Path
    admin_window: int
    clerk_window: int
    clerk_id: int
    policy_id: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the hall did not open port {port}")


def start_hall(instance: Path) -> Hall:
    """Migrate and seed a fresh instance in ``instance``, then serve it in a daemon thread."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from content.demo import seed_demo
    from content.models import Policy
    from hall import accounts
    from hall.app import create_app
    from hall.cli import serve
    from hall.extensions import db
    from hall.models import Role
    from tickets.models import Window

    port, printer_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'gongkai.sqlite3'}",
        "SECRET_KEY": "manual-screenshots",
        "PUBLIC_BASE_URL": base,
        "VIRTUAL_PRINTER_PORT": printer_port,
        "PRINTERS": {"kiosk": {"transport": "network", "host": "127.0.0.1",
                               "port": printer_port, "width": 80, "chinese": "gb18030",
                               "qr": "native"}},
        "KIOSK_PRINTERS": {"*": "kiosk"},
    })
    app.instance_path = str(instance)  # media, the virtual printer's slips: all in the tmp dir
    with app.app_context():
        upgrade()
        seed_demo()
        for step in app.extensions.get("demo_steps", []):  # screens, queue: as `gongkai demo`
            step()
        accounts.create_user(ADMIN, PASSWORD, [Role.ADMIN], display_name=ADMIN_NAME)
        clerk = accounts.create_user(CLERK, PASSWORD, [Role.CLERK], display_name=CLERK_NAME)
        db.session.commit()
        numbers = {w.number: w.id for w in db.session.scalars(select(Window))}
        policy_id = db.session.scalar(select(Policy.id).where(
            Policy.title.contains("政府信息公开条例")).order_by(Policy.id).limit(1))
        if policy_id is None:
            raise SystemExit("the demo has no 政府信息公开条例")
        hall = Hall(app, base, instance, admin_window=numbers[6], clerk_window=numbers[3],
                    clerk_id=clerk.id, policy_id=policy_id)
        db.session.remove()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    threading.Thread(target=serve, args=(app, "127.0.0.1", port), daemon=True).start()
    wait_port(port)
    return hall


def in_app(hall: Hall, func: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a domain function in the served app's context (the same process and database)."""
    from hall.extensions import db

    with hall.app.app_context():
        try:
            return func(*args, **kwargs)
        finally:
            db.session.remove()


def save_small(png: bytes, path: Path, width: int) -> None:
    """Scale to ``width`` pixels and save as a palette PNG no bigger than ``MAX_BYTES``."""
    image = Image.open(BytesIO(png)).convert("RGB")
    if image.width > width:
        height = round(image.height * width / image.width)
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    data = b""
    for colors in (256, 128, 64, 32):
        small = image.quantize(colors=colors, dither=Image.Dither.NONE)
        buffer = BytesIO()
        small.save(buffer, "PNG", optimize=True)
        data = buffer.getvalue()
        if len(data) <= MAX_BYTES:
            break
    if len(data) > MAX_BYTES:
        raise SystemExit(f"{path.name}: {len(data)} bytes even with 32 colours")
    path.write_bytes(data)
    log.info("%s: %d×%d, %d KB", path, image.width, image.height, len(data) // 1024)


def sign_in(page: Any, hall: Hall, username: str) -> None:
    page.goto(f"{hall.base}/staff/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/staff/login" not in url, timeout=TIMEOUT_MS)


def newest_slip(hall: Hall, after: set[Path], timeout: float = 15) -> Path:
    """The first slip the virtual printer saves that was not in ``after``."""
    folder = hall.instance / "virtual-printer"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = sorted(set(folder.glob("*.png")) - after) if folder.exists() else []
        if new:
            time.sleep(0.3)  # let the printer finish writing the file
            return new[-1]
        time.sleep(0.2)
    raise SystemExit("the ticket slip never reached the virtual printer")


def shoot(hall: Hall, out: Path, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    from tickets import queue

    folder = hall.instance / "virtual-printer"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        kiosk = browser.new_page(viewport=KIOSK)
        lobby = browser.new_page(viewport=LOBBY)
        staff = browser.new_page(viewport=STAFF)

        # Kiosk: the start screen, a policy with 朗读, then 取号.
        kiosk.goto(f"{hall.base}/kiosk/")
        kiosk.wait_for_selector("main a", timeout=TIMEOUT_MS)
        save_small(kiosk.screenshot(), out / "kiosk-start.png", 540)
        kiosk.goto(f"{hall.base}/kiosk/policies/{hall.policy_id}")
        kiosk.wait_for_selector("button.readaloud", timeout=TIMEOUT_MS)
        save_small(kiosk.screenshot(), out / "kiosk-policy.png", 540)

        before = set(folder.glob("*.png")) if folder.exists() else set()
        kiosk.goto(f"{hall.base}/kiosk/queue")
        kiosk.click("#service-gk", timeout=TIMEOUT_MS)
        kiosk.wait_for_selector("text=A001", timeout=TIMEOUT_MS)
        kiosk.wait_for_timeout(500)
        save_small(kiosk.screenshot(), out / "kiosk-ticket.png", 540)
        slip = newest_slip(hall, before)
        save_small(slip.read_bytes(), out / "slip-ticket.png", 576)

        # A few more people waiting; a second clerk calls one at window 3.
        for code in ("zx", "zx", "sb", "gk", "bb"):
            in_app(hall, queue.issue_ticket, code, source="kiosk")
        in_app(hall, queue.open_window, hall.clerk_window, hall.clerk_id, CLERK_NAME)

        # The lobby screen listens while the calls are made.
        lobby.goto(f"{hall.base}/screens/lobby")
        lobby.wait_for_selector("#board-waiting li", timeout=TIMEOUT_MS)
        in_app(hall, queue.call_next, hall.clerk_window, CLERK_NAME)

        # Staff: the home page, then window 6 signs in and calls the next ticket.
        sign_in(staff, hall, ADMIN)
        staff.goto(f"{hall.base}/staff/")
        staff.wait_for_selector("h1", timeout=TIMEOUT_MS)
        save_small(staff.screenshot(), out / "staff-home.png", 960)
        staff.goto(f"{hall.base}/staff/counter/{hall.admin_window}/open")
        staff.click("form.form button[type=submit]")
        staff.wait_for_url(f"**/staff/counter/{hall.admin_window}", timeout=TIMEOUT_MS)
        staff.click("#move-next button")
        staff.wait_for_selector(".ticket-no:has-text('A001')", timeout=TIMEOUT_MS)
        save_small(staff.screenshot(), out / "staff-counter.png", 960)

        lobby.wait_for_selector("#board-current li:has-text('A001')", timeout=TIMEOUT_MS)
        # The board speaks calls one after the other: wait until it says A001 (and is past
        # the three flashes of a new call).
        lobby.wait_for_selector("#board-say:has-text('A001')", timeout=30_000)
        lobby.wait_for_timeout(3000)
        save_small(lobby.screenshot(), out / "lobby.png", 960)

        staff.goto(f"{hall.base}/staff/printers/")
        staff.wait_for_selector("img[src*='/staff/printers/virtual/']", timeout=TIMEOUT_MS)
        save_small(staff.screenshot(full_page=False), out / "staff-printers.png", 960)
        staff.goto(f"{hall.base}/staff/disclosure/")
        staff.wait_for_selector("table", timeout=TIMEOUT_MS)
        save_small(staff.screenshot(), out / "staff-disclosure.png", 960)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "img" / "manual"),
                        help="folder for the PNGs [docs/img/manual]")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # the hall's own log set-up owns the root logger
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gongkai-manual-") as tmp:
        hall = start_hall(Path(tmp))
        shoot(hall, out, args.chromium)


if __name__ == "__main__":
    main()
