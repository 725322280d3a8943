"""The disk full while an editor uploads: the server process's writes really fail — its file
size limit (RLIMIT_FSIZE, set from outside with prlimit, SIGXFSZ ignored) is lowered just above
the database's size, so writing past it fails with EFBIG as a full disk fails with ENOSPC.
Two places fail: buffering a large upload (the request's temporary file) and storing a small
upload whose re-encoded image is large. Each gives a clear message on the page, leaves no file
(whole or half-written) and no row; once there is room again the same files upload."""

from __future__ import annotations

import hashlib
import io
import random
import resource
from pathlib import Path

from PIL import Image

from content.media import _process_image
from hall.models import Role
from tests.faults.support import Launcher, Server, Site, Staff, running
from tests.staff_support import create_staff

#: Werkzeug keeps a request body this small in memory; larger ones go to a temporary file.
IN_MEMORY = 500 * 1024
DISK_FULL = "磁盘空间不足"


def _webp_that_grows(side: int = 2200) -> bytes:
    """A WebP at quality 1 (~320 KB) that the server re-encodes at 90 (~1.8 MB)."""
    rnd = random.Random(9)
    half = side // 2
    image = Image.frombytes("RGB", (half, half), rnd.randbytes(half * half * 3))
    buffer = io.BytesIO()
    image.resize((side, side), Image.Resampling.BILINEAR).save(buffer, "WEBP", quality=1)
    return buffer.getvalue()


def _pdf(size: int) -> bytes:
    body = b"%PDF-1.4\n% fault test\n"
    return body + b"0" * (size - len(body) - 6) + b"\n%%EOF"


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _largest(folder: Path) -> int:
    return max((p.stat().st_size for p in folder.rglob("*") if p.is_file()), default=0)


def _upload(editor: Staff, *files: tuple[str, bytes, str, str]) -> tuple[int, str]:
    answer = editor.post("/staff/media/upload", timeout=60, files={
        f"file-{row}": (name, data, mime) for row, (name, data, mime, _) in enumerate(files)},
        **{f"alt-{row}": alt for row, (_, _, _, alt) in enumerate(files)})
    return answer.status_code, answer.text


def test_a_full_disk_gives_a_clear_message_and_leaves_nothing_half_written(
        site: Site, launcher: Launcher) -> None:
    site.seed(lambda: create_staff("editor.zhao", Role.EDITOR))
    photo = _webp_that_grows()
    stored_size = len(_process_image(photo, "WEBP").data)
    server = Server(site, launcher)
    uploads = site.instance / "media"
    with running(server):
        editor = Staff(server.url, "editor.zhao")
        limit = max(1024 * 1024, _largest(site.tmp) + 512 * 1024)  # room for the database
        assert len(photo) < IN_MEMORY and stored_size > limit + 64 * 1024
        document = _pdf(limit + 256 * 1024)
        hard = resource.prlimit(server.pid, resource.RLIMIT_FSIZE)[1]
        resource.prlimit(server.pid, resource.RLIMIT_FSIZE, (limit, hard))
        try:
            # Too big to buffer: the request's temporary file cannot be written.
            status, page = _upload(editor, ("年报.pdf", document, "application/pdf", ""))
            assert status == 507 and DISK_FULL in page, (status, page[:3000])
            assert "Traceback" not in page
            # Small enough to buffer, too big to store once re-encoded (after its thumbnail).
            status, page = _upload(editor, ("大厅.webp", photo, "image/webp", "服务大厅全景"))
            assert status == 422 and DISK_FULL in page and "大厅.webp" in page, page[:3000]
            assert not uploads.exists() or _files(uploads) == [], _files(uploads)
            assert site.rows("SELECT count(*) FROM media_file")[0][0] == 0
            assert site.rows("SELECT count(*) FROM audit_entry WHERE action = 'upload'"
                             )[0][0] == 0
        finally:
            resource.prlimit(server.pid, resource.RLIMIT_FSIZE, (hard, hard))

        # Room again: the same two files go up, whole.
        status, page = _upload(editor, ("年报.pdf", document, "application/pdf", ""),
                               ("大厅.webp", photo, "image/webp", "服务大厅全景"))
        assert status == 303, page[:3000]
    rows = site.rows("SELECT filename, size, sha256, kind FROM media_file ORDER BY id")
    assert [kind for *_, kind in rows] == ["document", "image"]
    pdf_row, image_row = rows
    assert (uploads / pdf_row[0]).read_bytes() == document
    assert pdf_row[2] == hashlib.sha256(document).hexdigest()
    assert (uploads / image_row[0]).stat().st_size == image_row[1] == stored_size
    with Image.open(uploads / image_row[0]) as image:
        image.load()  # whole: decodes to the last byte
    assert not [f for f in _files(uploads) if f.endswith(".part")]
    assert "unhandled error" not in server.log()
