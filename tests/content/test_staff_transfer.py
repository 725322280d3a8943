"""Import and export from the staff pages: a background import with progress, all rows or
none, the per-row report, one import at a time, downloads that parse back."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from content.models import Agency, CatalogItem, Category, Interpretation, Notice, Policy
from content.staff_transfer import ImportJob, jobs
from content.transfer import export_bundle
from hall.db import utcnow
from hall.extensions import db
from hall.models import AuditEntry, Role, StaffUser
from tests.kiosk.browser import assert_clean, describe_violations, new_kiosk_page, run_axe
from tests.staff_support import browser_login, create_staff, csrf_token

DATA = Path(__file__).parent / "data"
MODELS = (Agency, Category, Policy, Interpretation, Notice, CatalogItem)


def good() -> dict[str, Any]:
    return json.loads((DATA / "bundle_good.json").read_text(encoding="utf-8"))


def counts() -> dict[str, int]:
    db.session.rollback()  # see what the import thread committed
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) or 0
            for m in MODELS}


def post_import(client: FlaskClient, content: bytes, name: str, **fields: str) -> Any:
    token = csrf_token(client, "/staff/transfer/")
    return client.post("/staff/transfer/import", data={
        "csrf_token": token, "file": (io.BytesIO(content), name), **fields,
    }, content_type="multipart/form-data")


def wait_done(client: FlaskClient, response: Any) -> dict[str, Any]:
    """Follow the redirect to the job and poll its status until it has finished."""
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    job_id = response.headers["Location"].rsplit("job=", 1)[1]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = client.get(f"/staff/transfer/status/{job_id}").get_json()
        assert 0 <= status["done"] <= status["total"]
        if status["finished"]:
            return {**status, "page": client.get(response.headers["Location"])
                    .get_data(as_text=True)}
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def test_a_good_bundle_imports_in_the_background(
        client: FlaskClient, login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    bundle = good()
    result = wait_done(client, post_import(client, json.dumps(bundle).encode(), "包.json"))
    assert result["state"] == "done" and result["done"] == result["total"] == 18
    assert counts() == {"agency": 4, "category": 5, "policy": 2, "interpretation": 2,
                        "notice": 2, "catalog_item": 2}
    page = result["page"]
    assert "导入完成" in page and "发布机构" in page
    assert '<progress id="import-progress" max="18" value="18"' in page
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).one()
    assert entry.object_label == "包.json" and entry.new["rows"]["policies"] == 2
    assert entry.actor_name.startswith("editor")


def test_a_bad_row_in_the_middle_writes_nothing_and_the_page_names_it(
        client: FlaskClient, login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    bundle = good()
    bundle["notices"].insert(1, {**bundle["notices"][0], "title": "坏行",
                                 "published_on": "2026-02-30"})
    before = counts()
    result = wait_done(client, post_import(client, json.dumps(bundle).encode(), "bad.json"))
    assert result["state"] == "rejected"
    assert counts() == before
    page = result["page"]
    assert "未写入任何数据" in page
    assert '<td class="row-number">2</td>' in page
    assert "第 2 行：发布日期“2026-02-30”不是有效日期" in page
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "import")) == 0


def test_csv_import_needs_its_section(client: FlaskClient,
                                      login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    wait_done(client, post_import(client, (DATA / "bundle_good.json").read_bytes(), "a.json"))
    csv_bytes = (DATA / "policies_good.csv").read_bytes()
    missing = post_import(client, csv_bytes, "policies.csv")
    assert missing.status_code == 422 and "请选择表格里是哪一部分" in missing.get_data(as_text=True)
    result = wait_done(client, post_import(client, csv_bytes, "policies.csv", section="policies"))
    assert result["state"] == "done" and counts()["policy"] == 4
    bad = wait_done(client, post_import(client, (DATA / "policies_bad.csv").read_bytes(),
                                        "bad.csv", section="policies"))
    assert bad["state"] == "rejected" and counts()["policy"] == 4
    assert "2026-02-30" in bad["page"]


def test_dry_run_checks_and_writes_nothing(client: FlaskClient,
                                           login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    result = wait_done(client, post_import(client, json.dumps(good()).encode(), "a.json",
                                           dry_run="1"))
    assert result["state"] == "done" and "试导入（未写入）" in result["page"]
    assert counts()["policy"] == 0


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"{not json", "x.json", "不是有效的 JSON"),
    (b"[1, 2]", "x.json", "应为一个 JSON 对象"),
    (b"\xff\xfe\x00", "x.json", "不是 UTF-8"),
    (b"hello", "x.xlsx", "不支持的文件类型"),
])
def test_unreadable_files_are_refused_on_the_page(
        client: FlaskClient, login_as: Callable[..., StaffUser],
        content: bytes, name: str, message: str) -> None:
    login_as(Role.EDITOR)
    response = post_import(client, content, name)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert jobs().current() is None


def test_no_file_is_a_clear_message(client: FlaskClient,
                                    login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    token = csrf_token(client, "/staff/transfer/")
    response = client.post("/staff/transfer/import", data={"csrf_token": token})
    assert response.status_code == 422 and "请选择要导入的文件" in response.get_data(as_text=True)


def test_one_import_at_a_time(client: FlaskClient, login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    running = ImportJob(id="x" * 32, filename="大文件.json", started_by="王芳",
                        started_at=utcnow(), total=5000, dry_run=False)
    assert jobs().start(running) is None
    running.advance(1200)
    response = post_import(client, json.dumps(good()).encode(), "a.json")
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "另一项导入正在进行" in text and "王芳" in text and "大文件.json" in text
    assert 'value="1200"' in text  # its progress is shown
    assert counts()["policy"] == 0
    status = client.get(f"/staff/transfer/status/{running.id}").get_json()
    assert status == {"id": running.id, "state": "writing", "done": 1200, "total": 5000,
                      "finished": False, "label": "检查通过，正在写入……"}
    running.finish("done")
    assert wait_done(client, post_import(client, json.dumps(good()).encode(), "a.json"))[
        "state"] == "done"


def test_unknown_job_status_is_404(client: FlaskClient,
                                   login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    assert client.get("/staff/transfer/status/nope").status_code == 404


def test_export_downloads_parse_back(client: FlaskClient, app: Flask,
                                     login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    wait_done(client, post_import(client, json.dumps(good()).encode(), "a.json"))
    db.session.rollback()
    token = csrf_token(client, "/staff/transfer/")
    response = client.post("/staff/transfer/export", data={"csrf_token": token, "format": "json"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    bundle = json.loads(response.data.decode("utf-8"))
    assert bundle == json.loads(json.dumps(export_bundle(), default=str))
    assert len(bundle["policies"]) == 2 and bundle["format"] == "gongkai-content"
    some = client.post("/staff/transfer/export", data={
        "csrf_token": token, "format": "json", "section": ["agencies", "notices"]})
    assert set(json.loads(some.data)) == {"format", "version", "agencies", "notices"}
    sheet = client.post("/staff/transfer/export", data={
        "csrf_token": token, "format": "csv", "section": "policies"})
    assert sheet.status_code == 200 and sheet.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(sheet.data.decode("utf-8-sig"))))
    assert [r["title"] for r in rows] == [p["title"] for p in bundle["policies"]]
    assert client.post("/staff/transfer/export", data={
        "csrf_token": token, "format": "csv"}).status_code == 422
    assert client.post("/staff/transfer/export", data={
        "csrf_token": token, "format": "json", "section": "nope"}).status_code == 422
    exports = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert [e.new["format"] for e in exports] == ["json", "json", "csv"]


def test_transfer_pages_need_the_editor_role(client: FlaskClient,
                                             login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.OFFICER)
    assert client.get("/staff/transfer/").status_code == 403
    response = client.get("/staff/transfer/status/x")
    assert response.status_code == 403


def test_transfer_page_is_csp_clean(client: FlaskClient,
                                    login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    text = client.get("/staff/transfer/").get_data(as_text=True)
    assert "<style" not in text and " style=" not in text and "<script>" not in text
    assert '<script type="module" src="/static/content/transfer.js">' in text
    with client.get("/static/content/transfer.js") as script:
        assert script.status_code == 200 and "javascript" in script.mimetype


@pytest.mark.browser
def test_import_page_in_chromium(browser: Any, app: Flask, live_server: Any,
                                 tmp_path: Path) -> None:
    create_staff("editor-t", Role.EDITOR)
    bundle = good()
    template = {k: v for k, v in bundle["notices"][0].items() if k != "ref"}
    bundle["notices"] += [{**template, "title": f"通知 {n}"} for n in range(300)]
    file = tmp_path / "内容包.json"
    file.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    page = new_kiosk_page(browser, viewport=(1280, 900))
    try:
        browser_login(page, live_server.url, "editor-t")
        page.goto(f"{live_server.url}/staff/transfer/")
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        page.set_input_files("#import-file", str(file))
        page.click("form[action$='/import'] button[type=submit]")
        page.wait_for_selector("#import-progress")
        page.wait_for_function(
            """() => {
                const bar = document.querySelector('#import-progress');
                const box = document.querySelector('#import-status');
                return bar && box && box.dataset.state === 'done'
                    && !box.dataset.statusUrl && bar.value === bar.max;
            }""", timeout=30_000)
        assert "导入完成" in page.inner_text("#import-state")
        assert page.evaluate("document.activeElement.id") == "import-status-head"
        assert page.locator(".counts tbody tr").count() >= 5
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        assert_clean(page)
    finally:
        page.context.close()
    assert counts()["notice"] == 302
