"""Staff pages for printers: status, recent jobs, reprint, test page, previews, and the
virtual printer's latest slips. A second server-side module of ``printer`` (beside the spool);
thin: it reads the spool, asks it to queue, audits, renders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from hall import audit, usage
from hall.auth import register_nav, role_required
from hall.dashboard import Figure, Panel, Period, register_panel
from hall.extensions import db
from hall.models import Role
from hall.timefmt import HALL_TZ
from printer import PROFILE_80, Slip, Status, preview_png, spool
from printer import test_slip as make_test_slip
from printer.spool import JobKind, JobStatus, PrintJob

ROLES = (Role.ADMIN, Role.EDITOR, Role.CLERK)
RECENT_JOBS = 50

bp = Blueprint("printer_staff", __name__, url_prefix="/staff/printers",
               template_folder="templates")
#: ``printer/static/printer/*`` at ``/static/printer/*``, outside ``/staff`` (see content).
assets = Blueprint("printer_assets", __name__, static_folder="static/printer",
                   static_url_path="/static/printer")

KIND_LABELS = {JobKind.TICKET: _l("排队号票"), JobKind.RECEIPT: _l("申请回执"),
               JobKind.POLICY_QR: _l("政策二维码"), JobKind.TEST: _l("测试页")}
STATUS_LABELS = {JobStatus.PENDING: _l("等待打印"), JobStatus.SENDING: _l("正在发送"),
                 JobStatus.DONE: _l("已打印"), JobStatus.FAILED: _l("失败")}
PAPER_LABELS = {"ok": _l("正常"), "near_end": _l("将用完"), "out": _l("缺纸"),
                "unknown": _l("未知")}


def status_view(state: Status) -> dict[str, Any]:
    """How a status reads on the page: a word per field and an overall class."""
    if state.ready:
        overall, css = _("可以打印"), "ok"
    elif state.problem:
        overall, css = _("无法打印"), "bad"
    else:
        overall, css = _("状态未知"), "unknown"
    online = {True: _("在线"), False: _("离线"), None: _("未知")}[state.online]
    cover = {True: _("打开"), False: _("关闭"), None: _("未知")}[state.cover_open]
    return {"overall": overall, "css": css, "online": online,
            "paper": PAPER_LABELS.get(state.paper, state.paper), "cover": cover,
            "error": state.error}


@bp.get("/")
@role_required(*ROLES)
def index() -> str:
    rows = []
    for name, cfg in spool.printers().items():
        rows.append({"name": name, "where": spool.describe(cfg), "width": cfg.get("width", 58),
                     "chinese": cfg.get("chinese", "gb18030"), "qr": cfg.get("qr", "native"),
                     "status": status_view(spool.printer_status(name)),
                     "waiting": spool.waiting_count(name)})
    virtual = spool.spool_of().virtual_printer
    return render_template(
        "printer/index.html", title=_l("打印机"), printers=rows,
        jobs=spool.recent_jobs(RECENT_JOBS),
        kinds=KIND_LABELS, statuses=STATUS_LABELS, terminals=spool.kiosk_printers(),
        virtual=virtual, slips=virtual.latest()[:6] if virtual is not None else [],
        known=set(spool.printers()))


@bp.post("/jobs/<int:job_id>/reprint")
@role_required(*ROLES)
def reprint(job_id: int) -> Response:
    old = db.get_or_404(PrintJob, job_id)
    if old.printer not in spool.printers():
        flash(_("打印机“%(name)s”已不在配置中，无法重新打印。", name=old.printer), "error")
        return redirect(url_for(".index"), 303)
    job = spool.reprint(old)
    audit.record("reprint", obj_type="print_job", obj_id=job.id,
                 label=f"{old.printer} #{old.id}",
                 new={"printer": job.printer, "kind": job.kind, "reprint_of": old.id})
    spool.commit()
    flash(_("已重新加入打印队列（任务 %(id)d）。", id=job.id), "success")
    return redirect(url_for(".index"), 303)


@bp.post("/<name>/test")
@role_required(*ROLES)
def test_page(name: str) -> Response:
    if name not in spool.printers():
        abort(404)
    job = spool.add(name, JobKind.TEST, make_test_slip())
    audit.record("print_test", obj_type="print_job", obj_id=job.id, label=name,
                 new={"printer": name})
    spool.commit()
    flash(_("测试页已加入打印队列（任务 %(id)d）。", id=job.id), "success")
    return redirect(url_for(".index"), 303)


@bp.get("/jobs/<int:job_id>/preview.png")
@role_required(*ROLES)
def preview(job_id: int) -> Response:
    job = db.get_or_404(PrintJob, job_id)
    try:
        profile = spool.profile_of(job.printer)
    except (KeyError, ValueError):
        profile = PROFILE_80
    try:
        data = preview_png(Slip.from_dict(job.slip), profile)
    except ValueError:
        abort(404)
    return Response(data, mimetype="image/png", headers={"Cache-Control": "private, max-age=60"})


@bp.get("/virtual/<int:number>.png")
@role_required(*ROLES)
def virtual_png(number: int) -> Response:
    printer = spool.spool_of().virtual_printer
    found = [s for s in (printer.latest() if printer is not None else []) if s.number == number]
    if not found:
        abort(404)
    return Response(found[0].png, mimetype="image/png",
                    headers={"Cache-Control": "private, max-age=3600"})


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), HALL_TZ).astimezone(dt.UTC)


def panel(period: Period) -> Panel:
    """Dashboard: slips printed, jobs given up, and how each printer is (cached, no wait)."""
    tomorrow = _day_start(period.today + dt.timedelta(days=1))
    states = []
    for name in spool.printers():
        view = status_view(spool.cached_status(name))
        states.append((f"{name}：{view['overall']}", spool.waiting_count(name)))
    return Panel(
        title=_l("打印"),
        figures=[
            Figure(_l("打印的单据"), usage.total(spool.PRINTED_METRIC, period.today, period.today),
                   usage.total(spool.PRINTED_METRIC, period.month_start, period.today)),
            Figure(_l("打印失败的任务"), spool.failed_count(_day_start(period.today), tomorrow),
                   spool.failed_count(_day_start(period.month_start), tomorrow)),
        ],
        lists=[(_l("打印机状态（数字为等待打印的任务）"), states)],
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(assets)
    register_nav(app, _l("打印机"), "printer_staff.index", *ROLES, order=60)
    register_panel(app, panel, *ROLES, order=40)
