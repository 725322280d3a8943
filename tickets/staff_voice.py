"""Staff page of the lobby call's voice (``/staff/queue/voice``, admins and editors): every clip
with a player, a WAV upload that replaces it with a human recording, and a way back to the
shipped clip; a sample call to hear the whole sequence.

A change is audited in its own transaction with the clip row, then ``queue_changed`` (kind
``voice``) reaches the screens, whose board's ``voice`` token changes so they fetch the clips
again.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from hall import audit
from hall.auth import current_user, register_nav, role_required
from hall.db import utcnow
from hall.extensions import db
from hall.models import Role
from hall.signals import queue_changed
from hall.timefmt import local_datetime
from tickets import voice
from tickets.models import VoiceClip

bp = Blueprint("tickets_voice", __name__, url_prefix="/staff/queue/voice",
               template_folder="templates")

audit.register_action("voice_upload", _l("替换叫号声音"))
audit.register_action("voice_revert", _l("恢复默认叫号声音"))

#: The sample call: a ticket number (letters then digits) and a window number.
SAMPLE_NUMBER = re.compile(r"^[A-Z]{0,2}[0-9]{1,4}$")
SAMPLE_DEFAULT = ("A012", 3)


def _clip_or_404(name: str) -> str:
    if name not in voice.CLIP_WORDS:
        abort(404)
    return name


def _sample(args: Any) -> tuple[str, int, list[str]]:
    """The sample call asked for in the query string, with the reasons it was refused."""
    errors = []
    number = str(args.get("number", SAMPLE_DEFAULT[0])).strip().upper()[:6]
    if not SAMPLE_NUMBER.match(number):
        errors.append(_("号码须是字母加数字，例如 A012。"))
        number = SAMPLE_DEFAULT[0]
    raw = str(args.get("window", SAMPLE_DEFAULT[1])).strip()
    window = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 3 else -1
    if window < 1:
        errors.append(_("窗口号须是 1 到 999 的整数。"))
        window = SAMPLE_DEFAULT[1]
    return number, window, errors


def _page(errors: list[str] | None = None, status: int = 200) -> tuple[str, int]:
    recorded = voice.overrides()
    number, window, sample_errors = _sample(request.args)
    rows = [{"name": name, "words": words, "recording": recorded.get(name)}
            for name, words in voice.CLIP_WORDS.items()]
    return render_template(
        "tickets/staff/voice.html", rows=rows, token=voice.voice_version(),
        errors=[*(errors or []), *sample_errors], sample_number=number, sample_window=window,
        sample_text=voice.call_text(number, window), local_datetime=local_datetime,
        max_mb=voice.MAX_UPLOAD_BYTES // (1024 * 1024), max_seconds=int(voice.MAX_CLIP_SECONDS),
    ), status


def _changed() -> None:
    queue_changed.send(None, kind="voice", service_ids=[])


@bp.get("/")
@role_required(Role.EDITOR)
def index() -> tuple[str, int]:
    return _page()


@bp.get("/sample.wav")
@role_required(Role.EDITOR)
def sample() -> Response:
    """The sample call as one WAV (with the clips in use now)."""
    number, window, errors = _sample(request.args)
    if errors:
        return Response(" ".join(errors), status=400, mimetype="text/plain")
    data = voice.join_wav(voice.clips_for_call(number, window))
    response = Response(data, mimetype="audio/wav")
    response.cache_control.no_store = True
    return response


@bp.post("/<name>/upload")
@role_required(Role.EDITOR)
def upload(name: str) -> Response | tuple[str, int]:
    """Replace clip ``name`` with the uploaded recording (converted to the clips' format)."""
    name = _clip_or_404(name)
    storage = request.files.get("file")
    if storage is None or not storage.filename:
        return _page([_("“%(clip)s”：请选择一个 WAV 录音文件。", clip=name)], 422)
    try:
        data = voice.convert_upload(storage.read(voice.MAX_UPLOAD_BYTES + 1))
    except voice.VoiceError as error:
        return _page([_("“%(clip)s”：%(why)s", clip=name, why=error.message)], 422)
    user = current_user()
    who = user.username if user else ""
    row = db.session.get(VoiceClip, name)
    if row is None:
        row = VoiceClip(name=name)
        db.session.add(row)
    row.data, row.uploaded_by, row.updated_at = data, who, utcnow()
    audit.record("voice_upload", obj_type="voice_clip", obj_id=name, label=name,
                 new={"file": storage.filename[:200], "bytes": len(data)})
    db.session.commit()
    _changed()
    flash(_("已替换“%(clip)s”的声音；大厅屏幕会自动换用新录音。", clip=name), "success")
    return redirect(url_for(".index"), 303)


@bp.post("/<name>/revert")
@role_required(Role.EDITOR)
def revert(name: str) -> Response:
    """Go back to the shipped clip."""
    name = _clip_or_404(name)
    row = db.session.get(VoiceClip, name)
    if row is None:
        flash(_("“%(clip)s”用的已经是默认声音。", clip=name), "success")
        return redirect(url_for(".index"), 303)
    audit.record("voice_revert", obj_type="voice_clip", obj_id=name, label=name,
                 old={"uploaded_by": row.uploaded_by, "bytes": len(row.data)})
    db.session.delete(row)
    db.session.commit()
    _changed()
    flash(_("“%(clip)s”已恢复为默认声音。", clip=name), "success")
    return redirect(url_for(".index"), 303)


def init_app(app: Flask) -> None:
    """Register the page and its menu link."""
    app.register_blueprint(bp)
    register_nav(app, _l("叫号声音"), "tickets_voice.index", Role.ADMIN, Role.EDITOR, order=62)
