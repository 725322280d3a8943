"""Uploads: the type comes from the bytes, images are re-encoded without metadata, limits hold,
and the staff media page uploads, lists and deletes (refusing files still in use)."""

from __future__ import annotations

import datetime as dt
import io
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from content import media
from content.media import UploadRejected, detect, store_upload
from content.models import Interpretation, MediaFile
from hall.extensions import db
from hall.models import AuditEntry, Role, StaffUser
from tests.kiosk.browser import assert_clean, describe_violations, new_kiosk_page, run_axe
from tests.staff_support import browser_login, create_staff, csrf_token

IMAGE_LIMIT = 200_000
VIDEO_LIMIT = 300_000
LIMITS = {"MEDIA_MAX_IMAGE_BYTES": IMAGE_LIMIT, "MEDIA_MAX_VIDEO_BYTES": VIDEO_LIMIT,
          "MEDIA_MAX_DOCUMENT_BYTES": 100_000}


@pytest.fixture
def app_config() -> dict[str, Any]:
    # A request limit below the video limit: the upload route must raise it for itself.
    return {**LIMITS, "MAX_CONTENT_LENGTH": 100_000}


# --- real bytes -----------------------------------------------------------------------------

def exif_with_gps(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SecretCam"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (25.0, 51.0, 0.0)
    gps[3], gps[4] = "E", (114.0, 56.0, 0.0)
    return exif.tobytes()


def image_bytes(fmt: str, size: tuple[int, int] = (800, 600), *, orientation: int = 1) -> bytes:
    image = Image.new("RGB", size, (163, 24, 27))
    image.paste((11, 58, 117), (0, 0, size[0] // 4, size[1] // 2))  # a mark in the top left
    buffer = io.BytesIO()
    image.save(buffer, fmt, exif=exif_with_gps(orientation))
    return buffer.getvalue()


def noise_png(side: int) -> bytes:
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` with almost no data: a decompression bomb's
    shape (its pixels would be made only when decoded)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat)
            + _chunk(b"IEND", b""))


def mp4_bytes(brand: bytes = b"isom", padding: int = 0) -> bytes:
    ftyp = struct.pack(">I", 24) + b"ftyp" + brand + struct.pack(">I", 512) + b"isomiso2"
    mdat = struct.pack(">I", 8 + padding) + b"mdat" + b"\x00" * padding
    return ftyp + mdat


def webm_bytes(doctype: bytes = b"webm") -> bytes:
    body = (b"\x42\x86\x81\x01" + b"\x42\xf7\x81\x01" + b"\x42\x82" + bytes([0x80 | len(doctype)])
            + doctype + b"\x42\x87\x81\x04" + b"\x42\x85\x81\x02")
    segment = b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff"
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(body)]) + body + segment


PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def store(app: Flask, data: bytes, name: str, alt: str = "") -> MediaFile:
    return store_upload(data, name, max_bytes=LIMITS, media_root=Path(app.instance_path) / "media",
                        uploaded_by="tester", alt=alt)


# --- the domain -----------------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "ext", "media_type"), [
    ("JPEG", "jpg", "image/jpeg"), ("PNG", "png", "image/png"),
    ("WEBP", "webp", "image/webp"), ("GIF", "gif", "image/gif"),
])
def test_images_are_stored_reencoded_with_a_thumbnail(
        app: Flask, fmt: str, ext: str, media_type: str) -> None:
    item = store(app, image_bytes(fmt), "照片." + ext, alt="一张照片")
    db.session.commit()
    root = Path(app.instance_path) / "media"
    assert item.kind == "image" and item.media_type == media_type
    assert item.filename == f"uploads/{item.sha256}.{ext}"
    assert (root / item.filename).is_file() and item.size == (root / item.filename).stat().st_size
    with Image.open(root / item.filename) as stored:
        assert stored.format == fmt and (item.width, item.height) == stored.size
    with Image.open(root / item.thumbnail) as thumb:
        assert max(thumb.size) <= media.THUMB_PX and thumb.format == fmt


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_exif_gps_is_stripped_and_orientation_applied(app: Flask, fmt: str) -> None:
    original = image_bytes(fmt, orientation=6)  # "rotate 90° clockwise to view"
    with Image.open(io.BytesIO(original)) as before:
        assert 0x8825 in before.getexif()  # the test image really carries GPS
    item = store(app, original, "定位.jpg", alt="照片")
    data = (Path(app.instance_path) / "media" / item.filename).read_bytes()
    assert b"SecretCam" not in data
    with Image.open(io.BytesIO(data)) as stored:
        exif = stored.getexif()
        assert 0x8825 not in exif and 0x0112 not in exif
        assert stored.size == (600, 800)  # turned upright
        # the mark drawn top-left ends up top-right after a clockwise turn
        assert stored.convert("RGB").getpixel((590, 10))[2] > 100


def test_an_animated_gif_keeps_its_frames_and_loses_its_comment(app: Flask) -> None:
    frames = [Image.new("RGB", (400, 300), (n * 50, 0, 0)) for n in range(4)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=200,
                   loop=0, comment=b"hidden note")
    item = store(app, buffer.getvalue(), "动图.gif", alt="动图")
    data = (Path(app.instance_path) / "media" / item.filename).read_bytes()
    assert b"hidden note" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.n_frames == 4 and stored.size == (400, 300)


def test_video_and_documents_are_recognised_by_their_bytes(app: Flask) -> None:
    mp4 = store(app, mp4_bytes(), "clip.bin")
    webm = store(app, webm_bytes(), "clip")
    pdf = store(app, PDF, "文件.PDF")
    assert (mp4.kind, mp4.media_type, mp4.filename[-4:]) == ("video", "video/mp4", ".mp4")
    assert (webm.kind, webm.media_type, webm.filename[-5:]) == ("video", "video/webm", ".webm")
    assert (pdf.kind, pdf.media_type, pdf.filename[-4:]) == ("document", "application/pdf", ".pdf")
    assert not mp4.thumbnail and mp4.width is None


def test_a_png_named_exe_is_a_png_and_html_named_png_is_refused(app: Flask) -> None:
    item = store(app, image_bytes("PNG"), "setup.exe", alt="图")
    assert item.media_type == "image/png" and item.filename.endswith(".png")
    assert item.original_name == "setup.exe"
    with pytest.raises(UploadRejected, match="无法识别的文件类型"):
        store(app, HTML, "photo.png")


@pytest.mark.parametrize(("data", "why"), [
    (SVG, "不接受 SVG"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "不接受 SVG"),
    (b"", "文件是空的"),
    (b"MZ\x90\x00" + b"\x00" * 100, "无法识别的文件类型"),
    (mp4_bytes(b"qt  "), "MOV"),
    (webm_bytes(b"matroska"), "MKV"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "已损坏"),
    (image_bytes("JPEG")[:300], "已损坏"),
])
def test_refused_uploads_say_why(app: Flask, data: bytes, why: str) -> None:
    with pytest.raises(UploadRejected, match=why):
        store(app, data, "x.png")
    assert db.session.scalar(select(func.count()).select_from(MediaFile)) == 0


def test_size_limits_per_kind(app: Flask) -> None:
    with pytest.raises(UploadRejected, match="图片不能超过"):
        store(app, noise_png(300), "大图.png", alt="大图")  # ~270 KB of noise
    with pytest.raises(UploadRejected, match="视频不能超过"):
        store(app, mp4_bytes(padding=VIDEO_LIMIT), "long.mp4")
    assert store(app, mp4_bytes(padding=VIDEO_LIMIT - 100), "ok.mp4").kind == "video"


@pytest.mark.parametrize("size", [(10_000, 5_000), (20_000, 20_000)])
def test_decompression_bombs_are_refused(app: Flask, size: tuple[int, int]) -> None:
    data = png_header_only(*size)
    assert len(data) < 2000
    with pytest.raises(UploadRejected, match="百万像素"):
        store(app, data, "bomb.png", alt="x")


def test_the_same_bytes_twice_reuse_the_row(app: Flask) -> None:
    data = image_bytes("PNG")
    first = store(app, data, "a.png", alt="甲")
    db.session.commit()
    second = store(app, data, "b.png", alt="乙")
    assert second.id == first.id and second.alt == "甲"
    assert db.session.scalar(select(func.count()).select_from(MediaFile)) == 1


def test_detect_reads_only_the_header() -> None:
    assert detect(b"\xff\xd8\xff\xe0rest").kind == "image"
    assert detect(PDF).ext == "pdf"
    with pytest.raises(UploadRejected):
        detect(b"GIF8")


# --- the staff page -------------------------------------------------------------------------

def _upload(client: FlaskClient, files: list[tuple[bytes, str, str]], *,
            token: str | None = None) -> Any:
    data: dict[str, Any] = {"csrf_token": token if token is not None
                            else csrf_token(client, "/staff/media/")}
    for row, (content, name, alt) in enumerate(files):
        data[f"file-{row}"] = (io.BytesIO(content), name)
        data[f"alt-{row}"] = alt
    # Built by hand so its spooled body is closed even when the server refuses to read it.
    request = EnvironBuilder(path="/staff/media/upload", method="POST", data=data).get_request()
    try:
        return client.open(request)
    finally:
        request.environ["wsgi.input"].close()


def _count(model: Any = MediaFile) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_upload_through_the_page(client: FlaskClient, login_as: Callable[..., StaffUser]) -> None:
    user = login_as(Role.EDITOR)
    response = _upload(client, [(image_bytes("PNG"), "流程图.png", "办事流程图：先取号再受理"),
                                (PDF, "指南.pdf", "")])
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    items = db.session.scalars(select(MediaFile).order_by(MediaFile.id)).all()
    assert [i.kind for i in items] == ["image", "document"]
    assert items[0].uploaded_by == user.username and items[0].alt == "办事流程图：先取号再受理"
    page = client.get("/staff/media/").get_data(as_text=True)
    assert f"![办事流程图：先取号再受理](/media/{items[0].filename})" in page
    assert f"[指南.pdf](/media/{items[1].filename})" in page
    assert "已上传“流程图.png”" in page
    with client.get(f"/media/{items[0].thumbnail}") as thumb:
        assert thumb.status_code == 200 and thumb.mimetype == "image/png"
    with client.get(f"/media/{items[1].filename}") as served:
        assert served.status_code == 200 and served.data == PDF
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "media_file")).all()
    assert actions == ["upload", "upload"]


def test_an_image_without_alt_text_is_refused_and_explained(
        client: FlaskClient, login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    response = _upload(client, [(image_bytes("JPEG"), "无说明.jpg", "  ")])
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请填写替代文字" in text and "为什么图片必须填写替代文字" in text
    assert _count() == 0


def test_bad_files_are_reported_and_good_ones_kept(
        client: FlaskClient, login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    response = _upload(client, [(HTML, "page.png", "x"), (SVG, "logo.svg", "标志"),
                                (mp4_bytes(), "clip.mp4", ""), (noise_png(300), "big.png", "大")])
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "文件 1“page.png”：无法识别的文件类型" in text
    assert "文件 2“logo.svg”：不接受 SVG" in text
    assert "文件 4“big.png”：文件太大" in text
    assert "已上传“clip.mp4”" in text
    assert _count() == 1


def test_the_upload_route_takes_more_than_the_app_wide_request_limit(
        client: FlaskClient, app: Flask, login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    video = mp4_bytes(padding=250_000)
    assert len(video) > app.config["MAX_CONTENT_LENGTH"]
    assert _upload(client, [(video, "clip.mp4", "")]).status_code == 303
    assert _count() == 1
    too_big = _upload(client, [(mp4_bytes(padding=1_400_000), "huge.mp4", "")])
    assert too_big.status_code == 413 and "不能超过" in too_big.get_data(as_text=True)
    assert _count() == 1


def test_upload_needs_the_csrf_token_and_the_editor_role(
        client: FlaskClient, login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.CLERK)
    assert client.get("/staff/media/").status_code == 403
    assert _upload(client, [(PDF, "a.pdf", "")], token="x").status_code == 403
    client.post("/staff/logout", data={"csrf_token": csrf_token(client)})
    login_as(Role.EDITOR)
    response = _upload(client, [(PDF, "a.pdf", "")], token="forged")
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert _count() == 0


def test_delete_is_refused_while_an_interpretation_uses_the_file(
        client: FlaskClient, app: Flask, login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    _upload(client, [(image_bytes("PNG"), "图解.png", "图解")])
    item = db.session.scalars(select(MediaFile)).one()
    files = [Path(app.instance_path) / "media" / n for n in (item.filename, item.thumbnail)]
    used = Interpretation(title="一图读懂政务公开", image=item.filename, image_alt="图解",
                          published_on=dt.date(2026, 3, 1))
    db.session.add(used)
    db.session.commit()
    token = csrf_token(client, "/staff/media/")
    refused = client.post(f"/staff/media/{item.id}/delete", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "政策解读《一图读懂政务公开》" in refused.get_data(as_text=True)
    assert _count() == 1 and all(f.is_file() for f in files)
    used.image = ""
    used.body_md = f"见下图 ![图解](/media/{item.filename})"
    db.session.commit()
    assert client.post(f"/staff/media/{item.id}/delete",
                       data={"csrf_token": token}).status_code == 409
    used.body_md = ""
    db.session.commit()
    done = client.post(f"/staff/media/{item.id}/delete", data={"csrf_token": token})
    assert done.status_code == 303
    assert _count() == 0 and not any(f.exists() for f in files)
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())
                             .limit(1)) == "delete"


def test_alt_text_can_be_changed_but_not_emptied(
        client: FlaskClient, login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    _upload(client, [(image_bytes("PNG"), "a.png", "旧说明")])
    item = db.session.scalars(select(MediaFile)).one()
    token = csrf_token(client, "/staff/media/")
    assert client.post(f"/staff/media/{item.id}/alt",
                       data={"csrf_token": token, "alt": " "}).status_code == 422
    assert client.post(f"/staff/media/{item.id}/alt",
                       data={"csrf_token": token, "alt": "新说明"}).status_code == 303
    db.session.refresh(item)
    assert item.alt == "新说明"
    assert client.post("/staff/media/999999/alt", data={"csrf_token": token}).status_code == 404


def test_media_page_is_csp_clean(client: FlaskClient, login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.EDITOR)
    response = client.get("/staff/media/")
    text = response.get_data(as_text=True)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<style" not in text and " style=" not in text
    assert "<script>" not in text and "<script type=\"module\">" not in text
    with client.get("/static/content/media.css") as css:
        assert css.status_code == 200 and css.mimetype == "text/css"


@pytest.mark.browser
def test_media_page_in_chromium(browser: Any, app: Flask, live_server: Any,
                                tmp_path: Path) -> None:
    create_staff("editor-b", Role.EDITOR)
    picture = tmp_path / "流程图.jpg"
    picture.write_bytes(image_bytes("JPEG"))
    page = new_kiosk_page(browser, viewport=(1280, 900))
    try:
        browser_login(page, live_server.url, "editor-b")
        page.goto(f"{live_server.url}/staff/media/")
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        page.set_input_files("#file-0", str(picture))
        page.fill("#alt-0", "办事流程图")
        page.click(".upload-form button[type=submit]")
        page.wait_for_selector(".media-card img")
        assert page.locator(".media-card").count() == 1
        assert page.eval_on_selector(".media-card img", "img => img.naturalWidth") <= 320
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        assert_clean(page)
    finally:
        page.context.close()
