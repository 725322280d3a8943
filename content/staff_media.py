"""Staff page for uploads: images, videos and PDF documents for the content pages.

Thin: reads the files and fields, calls ``content.media``, audits, renders. The upload route
raises the request size limit to the video limit for itself only, before the body is read
(so its CSRF check runs here, after that, instead of in the global before-request hook).
"""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from content import media
from content.models import MediaFile
from hall import audit
from hall.auth import current_user, register_nav, role_required
from hall.extensions import csrf, db
from hall.models import Role

bp = Blueprint("content_media", __name__, url_prefix="/staff/media",
               template_folder="templates")
#: ``content/static/content/*`` served at ``/static/content/*``: outside ``/staff``, where the
#: staff guard would refuse a static endpoint (it carries no role).
assets = Blueprint("content_media_assets", __name__, static_folder="static/content",
                   static_url_path="/static/content")

PAGE_SIZE = 48
UPLOAD_ROWS = 4
#: Room for the form fields and multipart framing on top of the largest file allowed.
FORM_SLACK = 1024 * 1024
ACCEPT = "image/jpeg,image/png,image/webp,image/gif,video/mp4,video/webm,application/pdf"


def limits() -> dict[str, int]:
    """The size limits per kind: app config over the defaults in ``content.media``."""
    return {key: int(current_app.config.get(key, value)) for key, value in media.DEFAULTS.items()}


def media_root() -> Path:
    return Path(current_app.instance_path) / "media"


def _page() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 10**6))
    except ValueError:
        return 1


def _render(errors: list[str] | None = None, status: int = 200,
            alts: dict[int, str] | None = None) -> tuple[str, int]:
    page = _page()
    total = db.session.scalar(select(func.count()).select_from(MediaFile)) or 0
    items = db.session.scalars(
        select(MediaFile).order_by(MediaFile.uploaded_at.desc(), MediaFile.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    snippets = {m.id: media.markdown_snippet(m, url_for("content.media", filename=m.filename))
                for m in items}
    return render_template(
        "content/media/index.html", title=_l("图片视频"), items=items, snippets=snippets,
        errors=errors or [], alts=alts or {}, rows=range(UPLOAD_ROWS), accept=ACCEPT,
        limits={kind: media.human_size(media.limit_for(kind, limits())) for kind in media.KINDS},
        page=page, pages=max(1, -(-total // PAGE_SIZE)), total=total,
        human_size=media.human_size, max_alt=media.MAX_ALT_CHARS,
    ), status


@bp.get("/")
@role_required(Role.EDITOR)
def index() -> tuple[str, int]:
    return _render()


@bp.post("/upload")
@role_required(Role.EDITOR)
def upload() -> Response | tuple[str, int]:
    max_bytes = limits()
    cap = max(max_bytes.values())
    request.max_content_length = cap + FORM_SLACK
    try:
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
        files, form = request.files, request.form
    except RequestEntityTooLarge:
        return _render([_("一次上传的文件合计不能超过 %(limit)s，请分几次上传。",
                          limit=media.human_size(cap))], 413)
    except OSError as error:  # the upload could not even be buffered: the disk is full
        return _render([media.cannot_store(error).message], 507)
    user = current_user()
    errors: list[str] = []
    done: list[str] = []
    alts: dict[int, str] = {}
    chosen = 0
    for row in range(UPLOAD_ROWS):
        storage = files.get(f"file-{row}")
        alt = " ".join(form.get(f"alt-{row}", "").split())
        alts[row] = alt
        if storage is None or not storage.filename:
            continue
        chosen += 1
        name = media.clean_name(storage.filename)
        data = storage.read(cap + 1)
        try:
            if len(alt) > media.MAX_ALT_CHARS:
                raise media.UploadRejected(_("替代文字太长（最多 %(n)s 字）。",
                                             n=media.MAX_ALT_CHARS))
            if media.detect(data).kind == "image" and not alt:
                raise media.UploadRejected(_("这是图片，请填写替代文字（说明见上方）。"))
            item = media.store_upload(data, name, max_bytes=max_bytes, media_root=media_root(),
                                      uploaded_by=user.username if user else "", alt=alt)
        except media.UploadRejected as rejected:
            errors.append(_("文件 %(n)s“%(name)s”：%(why)s", n=row + 1, name=name,
                            why=rejected.message))
            continue
        alts[row] = ""
        if item.id is None:
            db.session.flush()
            audit.record("upload", obj_type="media_file", obj_id=item.id,
                         label=item.original_name,
                         new={"filename": item.filename, "kind": item.kind,
                              "media_type": item.media_type, "size": item.size,
                              "alt": item.alt})
            done.append(_("已上传“%(name)s”。", name=item.original_name))
        else:
            done.append(_("“%(name)s”与已上传的文件“%(old)s”内容相同，沿用原文件。",
                          name=name, old=item.original_name))
    if not chosen and not errors:
        errors.append(_("请至少选择一个文件。"))
    try:
        db.session.commit()
    except IntegrityError:  # the same bytes uploaded twice at the same moment
        db.session.rollback()
        return _render([_("同一文件正被同时上传，请刷新页面查看是否已上传。")], 409, alts)
    for message in done:
        flash(message, "success")
    if errors:
        return _render(errors, 422, alts)
    return redirect(url_for(".index"), 303)


csrf.exempt(upload)  # checked inside, after the size limit is raised


@bp.post("/<int:media_id>/alt")
@role_required(Role.EDITOR)
def update_alt(media_id: int) -> Response | tuple[str, int]:
    item = db.get_or_404(MediaFile, media_id)
    alt = " ".join(request.form.get("alt", "").split())
    if item.kind == "image" and not alt:
        return _render([_("“%(name)s”是图片，替代文字不能为空。", name=item.original_name)], 422)
    if len(alt) > media.MAX_ALT_CHARS:
        return _render([_("替代文字太长（最多 %(n)s 字）。", n=media.MAX_ALT_CHARS)], 422)
    before = audit.snapshot(item)
    item.alt = alt
    audit.record_change("update", item, before, label=item.original_name)
    db.session.commit()
    flash(_("已保存“%(name)s”的替代文字。", name=item.original_name), "success")
    return redirect(url_for(".index", page=request.args.get("page", 1, int)), 303)


@bp.post("/<int:media_id>/delete")
@role_required(Role.EDITOR)
def delete(media_id: int) -> Response | tuple[str, int]:
    item = db.get_or_404(MediaFile, media_id)
    uses = media.uses_of(item)
    if uses:
        return _render([_("“%(name)s”正在使用，不能删除。请先从以下内容中移除它：%(uses)s",
                          name=item.original_name, uses="、".join(uses))], 409)
    audit.record_change("delete", item, audit.snapshot(item), label=item.original_name)
    db.session.delete(item)
    db.session.commit()
    media.remove_files(item, media_root())
    flash(_("已删除“%(name)s”。", name=item.original_name), "success")
    return redirect(url_for(".index"), 303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(assets)
    register_nav(app, _l("图片视频"), "content_media.index", Role.EDITOR, order=30)
