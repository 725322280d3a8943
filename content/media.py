"""Uploaded images, videos and documents: the type is read from the bytes, never the name.

An upload is accepted only when its bytes are one of: a JPEG, PNG, WebP or GIF image that
Pillow opens and verifies; an MP4 (ISO BMFF ``ftyp`` box with a known brand) or WebM (EBML
header whose DocType is ``webm``) video; a PDF. Images are re-encoded (EXIF orientation
applied, metadata such as GPS dropped) and get a thumbnail. Files are stored by content as
``uploads/<sha256>.<ext>`` under the media folder, so the same bytes are stored once.
Nothing here reads the request; the staff page passes the bytes and the limits in.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from flask_babel import gettext as _
from PIL import Image, ImageOps
from sqlalchemy import or_, select

from content.models import Attachment, Interpretation, MediaFile, Notice, Policy
from hall.extensions import db

log = logging.getLogger(__name__)

MB = 1024 * 1024
#: Size limits per kind; the staff page reads them from the app config (these are defaults).
DEFAULTS: dict[str, int] = {
    "MEDIA_MAX_IMAGE_BYTES": 10 * MB,
    "MEDIA_MAX_VIDEO_BYTES": 200 * MB,
    "MEDIA_MAX_DOCUMENT_BYTES": 20 * MB,
}
KINDS = ("image", "video", "document")
#: An image larger than this (width × height) is refused as a likely decompression bomb.
MAX_PIXELS = 40_000_000
#: All frames of an animated image together may hold at most this many pixels.
MAX_ANIMATION_PIXELS = 4 * MAX_PIXELS
THUMB_PX = 320
UPLOAD_DIR = "uploads"
MAX_ALT_CHARS = 500

#: MP4 major brands accepted as video (QuickTime ``qt`` and audio-only ``M4A`` are not).
MP4_BRANDS = frozenset({b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42",
                        b"avc1", b"M4V ", b"dash", b"mmp4", b"MSNV"})
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML_DOCTYPE = 0x4282
_MARKUP = re.compile(rb"^\s*<(\?xml|svg|!doctype|html|!--)", re.IGNORECASE)


class UploadRejected(Exception):
    """The upload was refused; ``message`` says why, in a sentence for the editor."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def cannot_store(error: OSError) -> UploadRejected:
    """The refusal when the server cannot write an upload (a full disk, a read-only folder);
    the reason is logged for the administrator."""
    log.error("upload not stored: %s", error.strerror or error)
    return UploadRejected(_("服务器无法保存文件（磁盘空间不足或没有写入权限），文件没有上传。"
                            "请联系系统管理员处理后再上传。"))


@dataclass(frozen=True)
class Detected:
    """What the bytes are: ``kind`` (image / video / document), media type and extension."""

    kind: str
    media_type: str
    ext: str


_IMAGE_FORMATS = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}


def detect(data: bytes) -> Detected:
    """Name the type of ``data`` from its first bytes (the header only; images are verified
    by :func:`store_upload`).

    :raises UploadRejected: empty, SVG or any type outside the allow-list.
    """
    if not data:
        raise UploadRejected(_("文件是空的。"))
    if data.startswith(b"\xff\xd8\xff"):
        return Detected("image", "image/jpeg", "jpg")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Detected("image", "image/png", "png")
    if data.startswith((b"GIF87a", b"GIF89a")):
        return Detected("image", "image/gif", "gif")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Detected("image", "image/webp", "webp")
    if data.startswith(b"%PDF-"):
        return Detected("document", "application/pdf", "pdf")
    if data[4:8] == b"ftyp":
        if _mp4_brand_ok(data):
            return Detected("video", "video/mp4", "mp4")
        raise UploadRejected(_("这个视频的格式不受支持（如 QuickTime MOV），请转为 MP4（H.264）"
                               "或 WebM 后再上传。"))
    if data.startswith(_EBML_MAGIC):
        if _ebml_doctype(data) == b"webm":
            return Detected("video", "video/webm", "webm")
        raise UploadRejected(_("这个视频的格式不受支持（如 MKV），请转为 MP4（H.264）或 WebM 后"
                               "再上传。"))
    head = data[:512].lstrip(b"\xef\xbb\xbf")
    if _MARKUP.match(head) and b"<svg" in data[:4096].lower():
        raise UploadRejected(_("不接受 SVG 图片：它可以带有脚本，存在安全风险。请导出为 PNG "
                               "或 JPEG 后再上传。"))
    raise UploadRejected(_("无法识别的文件类型。只接受 JPEG、PNG、WebP、GIF 图片，MP4、WebM "
                           "视频和 PDF 文档（按文件内容判断，与文件名无关）。"))


def _mp4_brand_ok(data: bytes) -> bool:
    size = int.from_bytes(data[:4], "big")
    if size < 16 or size > len(data) or (size - 16) % 4:
        return False
    return data[8:12] in MP4_BRANDS


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``pos``: (value, position after it)."""
    if pos >= len(data) or data[pos] == 0:
        raise ValueError("bad EBML integer")
    first = data[pos]
    length = 8 - first.bit_length() + 1
    if pos + length > len(data):
        raise ValueError("truncated EBML integer")
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for byte in data[pos + 1: pos + length]:
        value = (value << 8) | byte
    return value, pos + length


def _ebml_doctype(data: bytes) -> bytes | None:
    """The DocType string of an EBML header (``webm``, ``matroska``), None if unreadable."""
    try:
        size, pos = _vint(data, 4, keep_marker=False)
        end = pos + size
        if end > len(data):
            return None
        while pos < end:
            element, pos = _vint(data, pos, keep_marker=True)
            length, pos = _vint(data, pos, keep_marker=False)
            if element == _EBML_DOCTYPE:
                return data[pos: pos + length].rstrip(b"\x00")
            pos += length
    except ValueError:
        return None
    return None


def limit_for(kind: str, max_bytes: Mapping[str, int]) -> int:
    """The size limit of ``kind`` from a config mapping (``MEDIA_MAX_IMAGE_BYTES`` ...)."""
    key = f"MEDIA_MAX_{kind.upper()}_BYTES"
    return int(max_bytes.get(key, DEFAULTS[key]))


def human_size(size: int) -> str:
    """``1536`` -> ``1.5 KB``: sizes as staff read them."""
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024 or unit == "MB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} MB"  # pragma: no cover


def _kind_name(kind: str) -> str:
    return {"image": _("图片"), "video": _("视频"), "document": _("文档")}.get(kind, kind)


def clean_name(original_name: str) -> str:
    """The file's own name without any folder part, control characters or excess length."""
    name = PurePath(original_name.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200]


def store_upload(data: bytes, original_name: str, *, max_bytes: Mapping[str, int],
                 media_root: Path, uploaded_by: str, alt: str = "") -> MediaFile:
    """Check ``data``, store it (re-encoded if an image, with a thumbnail) and return its row.

    The row is added to the session, not committed. The same bytes uploaded again return the
    existing row (its files restored if they went missing).

    :param max_bytes: config mapping holding ``MEDIA_MAX_{IMAGE,VIDEO,DOCUMENT}_BYTES``.
    :param media_root: the media folder (``instance/media``); files go under ``uploads/``.
    :raises UploadRejected: wrong type, too large, broken, a decompression bomb, or the
        disk is full (nothing of this upload is left on disk then).
    """
    detected = detect(data)
    limit = limit_for(detected.kind, max_bytes)
    if len(data) > limit:
        raise UploadRejected(_("文件太大（%(size)s）：%(kind)s不能超过 %(limit)s。",
                               size=human_size(len(data)), kind=_kind_name(detected.kind),
                               limit=human_size(limit)))
    digest = hashlib.sha256(data).hexdigest()
    existing = db.session.scalar(select(MediaFile).where(MediaFile.sha256 == digest).limit(1))
    if existing is not None and (media_root / existing.filename).is_file():
        if alt.strip() and not existing.alt:
            existing.alt = alt.strip()[:MAX_ALT_CHARS]
        return existing
    filename = f"{UPLOAD_DIR}/{digest}.{detected.ext}"
    width = height = None
    thumbnail = ""
    stored = data
    written: list[Path] = []
    try:
        if detected.kind == "image":
            image = _process_image(data, _IMAGE_FORMATS[detected.ext])
            stored, width, height = image.data, image.width, image.height
            thumbnail = f"{UPLOAD_DIR}/{digest}.thumb.{detected.ext}"
            if _write(media_root / thumbnail, image.thumbnail):
                written.append(media_root / thumbnail)
        _write(media_root / filename, stored)
    except OSError as error:  # no room: a thumbnail without its image is no use either
        for path in written:
            path.unlink(missing_ok=True)
        raise cannot_store(error) from error
    if existing is not None:
        return existing
    media = MediaFile(filename=filename, original_name=clean_name(original_name) or filename,
                      kind=detected.kind, media_type=detected.media_type, size=len(stored),
                      sha256=digest, width=width, height=height, thumbnail=thumbnail,
                      alt=alt.strip()[:MAX_ALT_CHARS], uploaded_by=uploaded_by[:100])
    db.session.add(media)
    return media


@dataclass(frozen=True)
class _Image:
    data: bytes
    thumbnail: bytes
    width: int
    height: int


#: ``info`` keys a re-encoded image keeps; everything else (EXIF, XMP, comments) is dropped.
_KEEP_INFO = {"transparency", "icc_profile", "duration", "loop", "background"}


def _process_image(data: bytes, fmt: str) -> _Image:
    """Verify, re-encode without metadata (EXIF orientation applied) and make a thumbnail."""
    bomb = _("图片尺寸过大（超过 %(mp)s 百万像素），可能是恶意文件，已拒绝。请缩小后再上传。",
             mp=MAX_PIXELS // 1_000_000)
    broken = _("图片文件已损坏或不完整，无法打开。")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise UploadRejected(bomb)
                probe.verify()
            with Image.open(io.BytesIO(data), formats=[fmt]) as image:
                frames = getattr(image, "n_frames", 1)
                if frames > 1 and image.width * image.height * frames > MAX_ANIMATION_PIXELS:
                    raise UploadRejected(bomb)
                image.load()
                return _encode(image, fmt, frames)
        except UploadRejected:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise UploadRejected(bomb) from exc
        except Exception as exc:  # any decoder failure (OSError, SyntaxError, ...) = broken
            raise UploadRejected(broken) from exc


def _encode(image: Image.Image, fmt: str, frames: int) -> _Image:
    if frames > 1:
        image.info = {k: v for k, v in image.info.items() if k in _KEEP_INFO}
        main = _save(image, fmt, save_all=True)
        image.seek(0)
        first = image.copy()
    else:
        first = ImageOps.exif_transpose(image) or image
        main = _save(first, fmt)
    thumb = first.copy()
    thumb.thumbnail((THUMB_PX, THUMB_PX))
    return _Image(main, _save(thumb, fmt), first.width, first.height)


def _save(image: Image.Image, fmt: str, **options: Any) -> bytes:
    image.info = {k: v for k, v in image.info.items() if k in _KEEP_INFO}
    if fmt == "JPEG":
        options.update(quality=90)
    elif fmt == "WEBP":
        options.update(quality=90)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _write(path: Path, data: bytes) -> bool:
    """Write a content-addressed file once, atomically: a half-written file is never seen,
    nor left behind when the write fails. False when the file was there already.

    :raises OSError: the disk is full, or the folder cannot be written.
    """
    if path.is_file() and path.stat().st_size == len(data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    try:
        part.write_bytes(data)
        os.replace(part, path)
    except OSError:
        part.unlink(missing_ok=True)
        raise
    return True


def uses_of(media: MediaFile) -> list[str]:
    """Where ``media`` is used, as labels such as ``政策解读《……》``; empty when unused."""
    names = [n for n in (media.filename, media.thumbnail) if n]
    found: list[str] = []
    interpretations = select(Interpretation.title).where(or_(
        Interpretation.image.in_(names), Interpretation.video.in_(names),
        *(column.contains(name, autoescape=True) for name in names
          for column in (Interpretation.body_md, Interpretation.body_html))))
    found += [_("政策解读《%(title)s》", title=t) for t in db.session.scalars(interpretations)]
    policies = select(Policy.title).where(or_(
        *(column.contains(name, autoescape=True) for name in names
          for column in (Policy.body_md, Policy.body_html))))
    found += [_("政策文件《%(title)s》", title=t) for t in db.session.scalars(policies)]
    attached = select(Policy.title).join(Attachment).where(Attachment.filename.in_(names))
    found += [_("政策文件《%(title)s》的附件", title=t) for t in db.session.scalars(attached)]
    notices = select(Notice.title).where(or_(
        *(column.contains(name, autoescape=True) for name in names
          for column in (Notice.body_md, Notice.body_html))))
    found += [_("通知公告《%(title)s》", title=t) for t in db.session.scalars(notices)]
    return found


def remove_files(media: MediaFile, media_root: Path) -> None:
    """Delete a media row's files from disk (after its row is deleted and committed)."""
    for name in (media.filename, media.thumbnail):
        if name and name.startswith(f"{UPLOAD_DIR}/"):
            (media_root / name).unlink(missing_ok=True)


def markdown_snippet(media: MediaFile, url: str) -> str:
    """What to paste into a Markdown body to show ``media`` (an image, else a link)."""
    if media.kind == "image":
        return f"![{_md_text(media.alt)}]({url})"
    return f"[{_md_text(media.original_name or media.filename)}]({url})"


def _md_text(text: str) -> str:
    text = " ".join(text.split())
    return re.sub(r"([\\\[\]])", r"\\\1", text)
