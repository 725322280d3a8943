"""Staff page for bulk import and export of content (the same files as ``gongkai content``).

An import is read and parsed in the request, then checked and written in a background
thread with its own app context, reporting progress through ``import_bundle``'s callback;
the page polls a JSON status. One import runs at a time per server process (the jobs live in
``app.extensions``, not in the database: a restart forgets finished reports, never data).
All-or-nothing is ``content.transfer``'s: one bad row and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import tempfile
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from content.transfer import (
    CSV_SECTIONS,
    SECTIONS,
    ImportRejected,
    ImportReport,
    RowError,
    count_rows,
    export_bundle,
    export_csv,
    import_bundle,
    load_file,
)
from content.transfer_rows import SECTION_LABELS, label
from hall import audit
from hall.auth import current_user, register_nav, role_required
from hall.db import utcnow
from hall.extensions import db
from hall.models import Role, StaffUser
from hall.timefmt import local_datetime, local_today

log = logging.getLogger(__name__)

bp = Blueprint("content_transfer", __name__, url_prefix="/staff/transfer",
               template_folder="templates")

#: Finished imports whose reports are kept for the page (oldest forgotten first).
KEEP_JOBS = 20
SUFFIXES = (".json", ".csv")


@dataclass
class ImportJob:
    """One import's progress and, once finished, its report. Changed only under ``lock``."""

    id: str
    filename: str
    started_by: str
    started_at: dt.datetime
    total: int
    dry_run: bool
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    done: int = 0
    #: checking -> writing -> done | rejected | failed
    state: str = "checking"
    report: ImportReport | None = None
    finished_at: dt.datetime | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "rejected", "failed")

    def advance(self, rows: int) -> None:
        """``import_bundle``'s progress callback: ``rows`` more rows written."""
        with self.lock:
            self.done += rows
            self.state = "writing"

    def finish(self, state: str, report: ImportReport | None = None) -> None:
        with self.lock:
            self.state, self.report, self.finished_at = state, report, utcnow()

    def status(self) -> dict[str, Any]:
        """What the page's script polls for."""
        with self.lock:
            return {"id": self.id, "state": self.state, "done": self.done, "total": self.total,
                    "finished": self.finished, "label": str(state_label(self.state))}


def state_label(state: str) -> Any:
    return {
        "checking": _l("正在逐行检查……"),
        "writing": _l("检查通过，正在写入……"),
        "done": _l("导入完成。"),
        "rejected": _l("导入被拒绝，未写入任何数据。"),
        "failed": _l("导入时发生意外错误，未写入任何数据。请联系管理员查看服务器日志。"),
    }.get(state, state)


class ImportJobs:
    """The imports of this process: at most one running, the last few kept for their reports."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, ImportJob] = OrderedDict()
        self.running: ImportJob | None = None

    def start(self, job: ImportJob) -> ImportJob | None:
        """Register ``job`` as the running import; returns the one already running, if any."""
        with self._lock:
            if self.running is not None and not self.running.finished:
                return self.running
            self.running = job
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS:
                self._jobs.popitem(last=False)
            return None

    def get(self, job_id: str) -> ImportJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def current(self) -> ImportJob | None:
        with self._lock:
            running = self.running
        return running if running is not None and not running.finished else None


def jobs() -> ImportJobs:
    registry: ImportJobs = current_app.extensions["content_imports"]
    return registry


def _run(app: Flask, job: ImportJob, bundle: dict[str, Any], actor_id: int | None,
         remote_addr: str) -> None:
    """The background thread: check and write ``bundle``, audited in the same commit."""
    with app.app_context():
        try:
            if not job.dry_run:
                actor = db.session.get(StaffUser, actor_id) if actor_id is not None else None
                rows = {s: len(bundle[s]) for s in SECTIONS if isinstance(bundle.get(s), list)}
                entry = audit.record("import", obj_type="content", label=job.filename,
                                     new={"file": job.filename, "rows": rows}, actor=actor)
                entry.remote_addr = remote_addr[:45]
            report = import_bundle(bundle, progress=job.advance, dry_run=job.dry_run)
            job.finish("done", report)
        except ImportRejected as rejected:
            db.session.rollback()
            job.finish("rejected", rejected.report)
        except Exception:  # the page must learn the import ended, whatever went wrong
            log.exception("import of %s failed", job.filename)
            db.session.rollback()
            job.finish("failed")
        finally:
            db.session.remove()


def _render(*, errors: list[str] | None = None, job: ImportJob | None = None,
            status: int = 200) -> tuple[str, int]:
    job = job or jobs().current()
    report = job.report if job is not None and job.finished else None
    return render_template(
        "content/transfer/index.html", title=_l("导入导出"), job=job, report=report,
        errors=errors or [], sections=SECTIONS, csv_sections=CSV_SECTIONS,
        section_labels=SECTION_LABELS, field_label=label, state_label=state_label,
        form=request.form, summary=_summary(report),
        row_errors=errors_by_section(report.errors) if report is not None else [],
    ), status


def _summary(report: ImportReport | None) -> str:
    return report.summary() if report is not None else ""


@bp.get("/")
@role_required(Role.EDITOR)
def index() -> tuple[str, int]:
    job_id = request.args.get("job", "")
    job = jobs().get(job_id) if job_id else None
    return _render(job=job)


@bp.post("/import")
@role_required(Role.EDITOR)
def start_import() -> Response | tuple[str, int]:
    running = jobs().current()
    if running is not None:
        return _render(errors=[_("另一项导入正在进行（%(who)s 于 %(time)s 开始导入“%(file)s”），"
                                 "请等它完成后再导入。", who=running.started_by,
                                 time=local_datetime(running.started_at), file=running.filename)],
                       job=running, status=409)
    upload = request.files.get("file")
    section = request.form.get("section", "")
    if upload is None or not upload.filename:
        return _render(errors=[_("请选择要导入的文件（.json 或 .csv）。")], status=422)
    filename = Path(upload.filename.replace("\\", "/")).name[:200]
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        return _render(errors=[_("不支持的文件类型“%(suffix)s”：请选择 .json 内容包或 .csv 表格。",
                                 suffix=suffix or filename)], status=422)
    if suffix == ".csv" and section not in CSV_SECTIONS:
        return _render(errors=[_("导入 CSV 表格时，请选择表格里是哪一部分内容。")], status=422)
    try:
        bundle = _load(upload.read(), suffix, section or None)
    except ImportRejected as rejected:
        return _render(errors=[str(e) for e in rejected.report.errors], status=422)
    user = current_user()
    job = ImportJob(id=uuid.uuid4().hex, filename=filename,
                    started_by=user.label if user else "", started_at=utcnow(),
                    total=count_rows(bundle), dry_run="dry_run" in request.form)
    running = jobs().start(job)
    if running is not None:  # another editor started one a moment ago
        return _render(errors=[_("另一项导入正在进行，请等它完成后再导入。")], job=running,
                       status=409)
    thread = threading.Thread(
        target=_run, name=f"import-{job.id[:8]}", daemon=True,
        args=(current_app._get_current_object(),  # type: ignore[attr-defined]
              job, bundle, user.id if user else None, request.remote_addr or ""))
    thread.start()
    return redirect(url_for(".index", job=job.id), 303)


def _load(data: bytes, suffix: str, section: str | None) -> dict[str, Any]:
    """``load_file`` over uploaded bytes (it reads a path: the CLI's and the page's parser
    stay one and the same)."""
    with tempfile.TemporaryDirectory(prefix="gongkai-import-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        return load_file(path, section)


@bp.get("/status/<job_id>")
@role_required(Role.EDITOR)
def status(job_id: str) -> Response:
    job = jobs().get(job_id)
    if job is None:
        abort(404)
    return jsonify(job.status())


@bp.post("/export")
@role_required(Role.EDITOR)
def export() -> Response | tuple[str, int]:
    fmt = request.form.get("format", "")
    chosen = request.form.getlist("section")
    if fmt not in ("json", "csv") or any(s not in SECTIONS for s in chosen):
        return _render(errors=[_("请选择导出格式和要导出的部分。")], status=422)
    stamp = local_today().strftime("%Y%m%d")
    if fmt == "csv":
        if len(chosen) != 1:
            return _render(errors=[_("导出 CSV 表格时，请选择一个部分。")], status=422)
        stream = io.StringIO(newline="")
        count = export_csv(chosen[0], stream)
        body, mimetype = stream.getvalue().encode("utf-8"), "text/csv; charset=utf-8"
        name = f"gongkai-{chosen[0]}-{stamp}.csv"
    else:
        bundle = export_bundle(chosen or None)
        count = sum(len(v) for v in bundle.values() if isinstance(v, list))
        body = (json.dumps(bundle, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        mimetype, name = "application/json", f"gongkai-content-{stamp}.json"
    audit.record("export", obj_type="content", label=name,
                 new={"format": fmt, "sections": chosen or list(SECTIONS), "rows": count})
    db.session.commit()
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def errors_by_section(errors: list[RowError]) -> list[RowError]:
    """Errors in bundle order: section by section, then row."""
    order = {s: n for n, s in enumerate(SECTIONS)}
    return sorted(errors, key=lambda e: (order.get(e.section, -1), e.row))


def init_app(app: Flask) -> None:
    app.extensions["content_imports"] = ImportJobs()
    app.register_blueprint(bp)
    register_nav(app, _l("导入导出"), "content_transfer.index", Role.EDITOR, order=40)
