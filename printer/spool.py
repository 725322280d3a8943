"""The print spool: the server side of printing (the one module of ``printer`` that uses hall/).

Every print is a :class:`PrintJob` row, committed before the request that asked for it
answers, so a request never waits on paper. A worker thread per process claims due jobs with a
guarded ``UPDATE`` (two processes never send the same job), renders the slip for its printer's
profile, sends it with the transport's short timeout, and marks it done or schedules a retry
with backoff; after ``PRINT_MAX_ATTEMPTS`` it is failed and staff may reprint it.

Printers come from ``PRINTERS`` (or ``instance/printers.toml``); their status is asked in the
background and cached, so a page waits at most ``PRINTER_STATUS_WAIT_SECONDS`` for it.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import math
import os
import secrets
import threading
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from hall import audit, doctor, usage
from hall.db import UTCDateTime, utcnow
from hall.extensions import db
from printer import PrinterError, PrinterProfile, Slip, Status, make_transport, slip_bytes
from printer import test_slip as make_test_slip
from printer.emulator import VirtualPrinter
from printer.emulator import main as emulator_main
from printer.transports import Transport

log = logging.getLogger(__name__)

PRINTERS_FILE = "printers.toml"
VIRTUAL_PRINTER_DIR = "virtual-printer"
#: The usage counter (``hall.usage``) of slips that came out, keyed by kind.
PRINTED_METRIC = "slip_printed"
#: A claimed job whose sender vanished (the process died) is retried after this long.
LEASE_SECONDS = 120
_ERROR_MAX = 500


class JobKind(enum.StrEnum):
    TICKET = "ticket"
    RECEIPT = "receipt"
    POLICY_QR = "policy_qr"
    TEST = "test"


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"


class PrintJob(db.Model):  # type: ignore[name-defined]
    """One slip to print on one named printer, with its delivery history.

    ``slip`` is the :class:`printer.Slip` as data, so a job can be re-rendered, previewed and
    reprinted. ``token`` lets the kiosk that asked ask about this job, and no other.
    """

    __tablename__ = "print_job"
    __table_args__ = (Index("ix_print_job_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    printer: Mapped[str] = mapped_column(String(50), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    slip: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(_ERROR_MAX), default="")
    # When a pending job is due; while sending, when the sender's claim lapses.
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    reprint_of: Mapped[int | None] = mapped_column(
        ForeignKey("print_job.id", ondelete="SET NULL"))


# -- configuration ----------------------------------------------------------------------


def _printers_file(app: Flask) -> dict[str, Any]:
    """``instance/printers.toml`` as a dict (empty when absent); read once per app."""
    spool = spool_of(app)
    if spool.file_config is None:
        path = Path(app.instance_path) / str(app.config.get("PRINTERS_FILE") or PRINTERS_FILE)
        data: dict[str, Any] = {}
        if path.is_file():
            with path.open("rb") as stream:
                data = tomllib.load(stream)
        spool.file_config = data
    return spool.file_config


def printers(app: Flask | None = None) -> dict[str, dict[str, Any]]:
    """Printer name -> its settings: ``[printers.*]`` of printers.toml if present, else
    ``PRINTERS``.

    :raises tomllib.TOMLDecodeError: when printers.toml is not valid TOML.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    table = _printers_file(app).get("printers")
    if table is None:
        table = app.config.get("PRINTERS") or {}
    return {str(name): dict(cfg) for name, cfg in table.items()}


def kiosk_printers(app: Flask | None = None) -> dict[str, str]:
    """Terminal IP -> printer name (``"*"``: every other terminal)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    table = _printers_file(app).get("kiosk_printers")
    if table is None:
        table = app.config.get("KIOSK_PRINTERS") or {}
    return {str(k): str(v) for k, v in table.items()}


def printer_for_terminal(address: str | None) -> str | None:
    """The printer a kiosk terminal (by its IP) prints on, or None if it has none."""
    table = kiosk_printers()
    name = table.get(address or "", table.get("*"))
    return name if name in printers() else None


def profile_of(name: str) -> PrinterProfile:
    """The printer's profile.

    :raises KeyError: for an unknown printer. :raises ValueError: for a bad setting.
    """
    return PrinterProfile.from_config(printers()[name])


def describe(cfg: Mapping[str, Any]) -> str:
    """Where a printer is, in a few characters: ``network 10.0.0.31:9100``."""
    kind = str(cfg.get("transport", "?"))
    where = {
        "network": f"{cfg.get('host', '')}:{cfg.get('port', 9100)}",
        "serial": str(cfg.get("port", "")),
        "usb": f"{cfg.get('vendor_id', '')}:{cfg.get('product_id', '')}",
        "file": str(cfg.get("path", "")),
    }.get(kind, "")
    return f"{kind} {where}".strip()


# -- the per-app spool: worker, transports, status cache ----------------------------------


@dataclass
class _StatusEntry:
    status: Status = field(default_factory=Status)
    checked: float = -math.inf  # time.monotonic() of the answer
    probe: threading.Event | None = None  # set when the query in flight finishes


class Spool:
    """One app's worker thread, open transports and printer status cache."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.file_config: dict[str, Any] | None = None
        self.virtual_printer: VirtualPrinter | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._statuses: dict[str, _StatusEntry] = {}
        self._transports: dict[tuple[str, str], Transport] = {}

    # worker

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the worker thread (once)."""
        with self._lock:
            if self.running:
                return
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="print-spool", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker after the job in hand and close open transports."""
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        self._thread = None
        with self._lock:
            transports, self._transports = list(self._transports.values()), {}
        for transport in transports:
            transport.close()

    def wake(self) -> None:
        """A job is waiting: start the worker if allowed and let it look now."""
        autostart = self.app.config.get("PRINT_WORKER_AUTOSTART")
        if autostart is None:
            autostart = not self.app.testing
        if autostart:
            self.start()
        self._wake.set()

    def _run(self) -> None:
        refresh_every = float(self.app.config.get("PRINTER_STATUS_SECONDS", 10))
        last_refresh = -math.inf
        while not self._stopping.is_set():
            self._wake.clear()
            delay = refresh_every
            try:
                with self.app.app_context():
                    try:
                        process_due()
                        if time.monotonic() - last_refresh >= refresh_every:
                            last_refresh = time.monotonic()
                            for name in printers(self.app):
                                self.refresh(name)
                        due = seconds_until_due()
                        if due is not None:
                            delay = min(delay, due)
                    finally:
                        db.session.remove()
            except Exception:  # the worker must outlive a database hiccup
                log.exception("print spool worker")
            self._wake.wait(max(delay, 0.05))

    # transports

    def transport(self, name: str) -> Transport:
        """The printer's transport, kept open between jobs (serial and USB keep the device).

        :raises KeyError: unknown printer. :raises ValueError: bad transport settings.
        """
        cfg = printers(self.app)[name]
        key = (name, repr(sorted(cfg.items())))
        with self._lock:
            if key not in self._transports:
                self._transports[key] = make_transport(cfg)
            return self._transports[key]

    # status

    def refresh(self, name: str) -> threading.Event:
        """Ask the printer's status in a thread (one query in flight per printer)."""
        with self._lock:
            entry = self._statuses.setdefault(name, _StatusEntry())
            if entry.probe is not None:
                return entry.probe
            done = entry.probe = threading.Event()
        threading.Thread(target=self._probe, args=(name, done), daemon=True,
                         name=f"printer-status-{name}").start()
        return done

    def _probe(self, name: str, done: threading.Event) -> None:
        try:
            state = self.transport(name).status()
        except KeyError:
            state = Status(online=False, error=f"no printer named {name!r}")
        except Exception as exc:  # a bad setting, or a transport breaking its promise
            state = Status(online=False, error=str(exc) or type(exc).__name__)
        with self._lock:
            entry = self._statuses.setdefault(name, _StatusEntry())
            entry.status, entry.checked, entry.probe = state, time.monotonic(), None
        done.set()

    def status(self, name: str, wait: float = 0.0) -> Status:
        """The cached status; a stale one is asked again, waiting at most ``wait`` seconds
        for the answer (unknown if none came and nothing is cached)."""
        ttl = float(self.app.config.get("PRINTER_STATUS_SECONDS", 10))
        with self._lock:
            entry = self._statuses.get(name)
            fresh = entry is not None and time.monotonic() - entry.checked < ttl
        if not fresh:
            done = self.refresh(name)
            if wait > 0:
                done.wait(wait)
        with self._lock:
            entry = self._statuses.get(name)
            return entry.status if entry is not None else Status()

    def forget_status(self, name: str) -> None:
        """Make the next look at this printer ask it again."""
        with self._lock:
            entry = self._statuses.get(name)
            if entry is not None:
                entry.checked = -math.inf


def spool_of(app: Flask | None = None) -> Spool:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    spool: Spool = app.extensions["printer_spool"]
    return spool


def cached_status(name: str) -> Status:
    """The printer's last known status, never waiting (a stale one is re-asked behind)."""
    return spool_of().status(name)


def printer_status(name: str) -> Status:
    """The printer's status for a page: waits at most ``PRINTER_STATUS_WAIT_SECONDS``."""
    return spool_of().status(name, float(current_app.config["PRINTER_STATUS_WAIT_SECONDS"]))


def cannot_print(status: Status) -> bool:
    """True when the printer said (or showed by silence) that it cannot print now.

    Unknown is not a problem: USB and file printers never say, and they usually print.
    """
    return bool(status.problem)


# -- jobs ---------------------------------------------------------------------------------


def add(printer: str, kind: str, slip: Slip, *, reprint_of: int | None = None) -> PrintJob:
    """Add a job to the session (not committed; see :func:`commit`), e.g. beside an audit
    entry that must land with it.

    :raises ValueError: unknown printer or kind.
    """
    if printer not in printers():
        raise ValueError(f"no printer named {printer!r}")
    if kind not in {k.value for k in JobKind}:
        raise ValueError(f"unknown job kind {kind!r}")
    now = utcnow()
    job = PrintJob(printer=printer, kind=kind, slip=slip.to_dict(), status=JobStatus.PENDING,
                   attempts=0, last_error="", next_attempt_at=now, created_at=now,
                   token=secrets.token_urlsafe(16), reprint_of=reprint_of)
    db.session.add(job)
    db.session.flush()
    return job


def commit() -> None:
    """Commit the session (jobs and whatever rides with them) and wake the worker."""
    db.session.commit()
    spool_of().wake()


def enqueue(printer: str, kind: str, slip: Slip, *, reprint_of: int | None = None) -> PrintJob:
    """Queue a slip and commit: when this returns the job is stored; the worker sends it."""
    job = add(printer, kind, slip, reprint_of=reprint_of)
    commit()
    return job


def reprint(job: PrintJob) -> PrintJob:
    """A new job with the same slip and printer (not committed), linked to the old one."""
    return add(job.printer, job.kind, Slip.from_dict(job.slip), reprint_of=job.id)


def job_by_token(token: str) -> PrintJob | None:
    if not token or len(token) > 32:
        return None
    return db.session.scalar(select(PrintJob).where(PrintJob.token == token)
                             .execution_options(populate_existing=True))


def recent_jobs(limit: int = 50) -> Sequence[PrintJob]:
    return db.session.scalars(
        select(PrintJob).order_by(PrintJob.created_at.desc(), PrintJob.id.desc()).limit(limit)
    ).all()


def waiting_count(printer: str | None = None) -> int:
    """Jobs not yet printed nor given up (on one printer, or all)."""
    query = select(func.count(PrintJob.id)).where(
        PrintJob.status.in_((JobStatus.PENDING, JobStatus.SENDING)))
    if printer is not None:
        query = query.where(PrintJob.printer == printer)
    return int(db.session.scalar(query) or 0)


def failed_count(start: dt.datetime, end: dt.datetime) -> int:
    """Jobs given up on, among those created in ``start`` .. ``end``."""
    return int(db.session.scalar(
        select(func.count(PrintJob.id)).where(
            PrintJob.status == JobStatus.FAILED, PrintJob.created_at >= start,
            PrintJob.created_at < end)) or 0)


def retry_delay(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones (the last step repeats)."""
    steps: Sequence[float] = current_app.config["PRINT_RETRY_SECONDS"] or [5]
    return float(steps[min(attempts, len(steps)) - 1])


def _expire_claims(now: dt.datetime) -> None:
    """Claims whose sender vanished (process killed mid-job) go back to pending."""
    db.session.execute(
        update(PrintJob)
        .where(PrintJob.status == JobStatus.SENDING, PrintJob.next_attempt_at <= now)
        .values(status=JobStatus.PENDING)
    )
    db.session.commit()


def _claim(job_id: int, now: dt.datetime) -> bool:
    """Take a pending job for this thread; False if another worker took it first."""
    result = db.session.execute(
        update(PrintJob)
        .where(PrintJob.id == job_id, PrintJob.status == JobStatus.PENDING)
        .values(status=JobStatus.SENDING, attempts=PrintJob.attempts + 1,
                next_attempt_at=now + dt.timedelta(seconds=LEASE_SECONDS))
    )
    db.session.commit()
    return getattr(result, "rowcount", 0) == 1


def process_due(limit: int = 20) -> int:
    """Send the jobs that are due now (in this thread); return how many were tried."""
    now = utcnow()
    _expire_claims(now)
    ids = db.session.scalars(
        select(PrintJob.id)
        .where(PrintJob.status == JobStatus.PENDING, PrintJob.next_attempt_at <= now)
        .order_by(PrintJob.next_attempt_at, PrintJob.id).limit(limit)
    ).all()
    db.session.commit()
    tried = 0
    for job_id in ids:
        if _claim(job_id, utcnow()):
            _deliver(job_id)
            tried += 1
    return tried


def send_now(job_id: int) -> bool:
    """Send one pending job in this thread; False if it was not pending (or taken)."""
    if not _claim(job_id, utcnow()):
        return False
    _deliver(job_id)
    return True


def _deliver(job_id: int) -> None:
    """Render and send a claimed job, then record the outcome."""
    job = db.session.get(PrintJob, job_id)
    if job is None:
        return
    name, kind, slip_data, attempts = job.printer, job.kind, dict(job.slip), job.attempts
    db.session.commit()  # no transaction stays open while the printer is talked to
    spool = spool_of()
    error, final = "", False
    try:
        data = slip_bytes(Slip.from_dict(slip_data), profile_of(name))
        spool.transport(name).send(data)
    except KeyError:
        error, final = f"no printer named {name!r}", True
    except ValueError as exc:  # a bad slip or bad printer settings: retrying will not help
        error, final = str(exc), True
    except PrinterError as exc:
        error = str(exc) or "printer error"
    except Exception as exc:  # a transport breaking its promise still must not kill the worker
        log.exception("print job %s", job_id)
        error = f"{type(exc).__name__}: {exc}"
    now = utcnow()
    values: dict[str, Any]
    if not error:
        values = {"status": JobStatus.DONE, "sent_at": now, "last_error": ""}
    elif final or attempts >= int(current_app.config["PRINT_MAX_ATTEMPTS"]):
        values = {"status": JobStatus.FAILED, "last_error": error[:_ERROR_MAX]}
    else:
        values = {"status": JobStatus.PENDING, "last_error": error[:_ERROR_MAX],
                  "next_attempt_at": now + dt.timedelta(seconds=retry_delay(attempts))}
    db.session.execute(update(PrintJob).where(PrintJob.id == job_id,
                                              PrintJob.status == JobStatus.SENDING)
                       .values(**values))
    db.session.commit()
    if error:
        log.warning("print job %s on %s failed (attempt %s): %s", job_id, name, attempts, error)
        spool.forget_status(name)
    else:
        usage.count(PRINTED_METRIC, kind)


def seconds_until_due() -> float | None:
    """Seconds until the next pending job (or lapsed claim) is due; None when none waits."""
    due = db.session.scalar(select(func.min(PrintJob.next_attempt_at)).where(
        PrintJob.status.in_((JobStatus.PENDING, JobStatus.SENDING))))
    db.session.commit()
    if due is None:
        return None
    return max((due - utcnow()).total_seconds(), 0.0)


def wait_for(job_id: int, timeout: float) -> PrintJob | None:
    """Poll until the job is done, failed or waiting for a retry (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.commit()  # ends this session's transaction and forgets what it loaded
        job = db.session.get(PrintJob, job_id)
        if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED) or (
                job.status == JobStatus.PENDING and job.attempts > 0):
            return job
        if time.monotonic() >= deadline:
            return job
        time.sleep(0.05)


# -- serving: virtual printer and worker at `gongkai run` -------------------------------------


def start_virtual_printer(app: Flask, port: int, out_dir: str | Path | None = None,
                          host: str = "127.0.0.1") -> VirtualPrinter:
    """Run the virtual printer in a thread of this process; the staff page shows its slips."""
    width = 384 if int(app.config.get("VIRTUAL_PRINTER_WIDTH", 80)) == 58 else 576
    out = Path(out_dir) if out_dir is not None else Path(app.instance_path) / VIRTUAL_PRINTER_DIR
    printer = VirtualPrinter(host, port, out, width_dots=width).start()
    spool_of(app).virtual_printer = printer
    return printer


def _on_serve(app: Flask) -> None:
    """``gongkai run``: check the printer settings, start the virtual printer and the worker."""
    for name, cfg in printers(app).items():
        try:
            PrinterProfile.from_config(cfg)
            make_transport(cfg)
        except ValueError as exc:
            click.echo(f"  打印机 printer {name}: 设置有误 bad settings: {exc}", err=True)
    port = int(app.config.get("VIRTUAL_PRINTER_PORT") or 0)
    if port:
        try:
            printer = start_virtual_printer(app, port)
        except OSError as exc:
            click.echo(f"  虚拟打印机 virtual printer: port {port} unavailable ({exc})", err=True)
        else:
            click.echo(f"  虚拟打印机 virtual printer: 127.0.0.1:{printer.port} → "
                       f"{printer.out_dir}")
    spool_of(app).start()


def _probe_for_doctor(cfg: Mapping[str, Any]) -> Status:
    """A fresh status query (not the spool's cache); a file printer must also be writable."""
    try:
        transport = make_transport(cfg)
    except ValueError as exc:
        return Status(online=False, error=f"bad settings: {exc}")
    try:
        if cfg.get("transport") == "file":
            path = Path(str(cfg.get("path")))
            if not os.access(path if path.exists() else path.parent, os.W_OK):
                return Status(online=False, error=f"cannot write {path}")
        return transport.status()
    finally:
        transport.close()


def doctor_printers(app: Flask) -> list[doctor.Finding]:
    """``gongkai doctor``: ask every printer now, all at once. A printer that cannot print is a
    WARN: the hall goes on, and the spool prints the waiting slips when it is back."""
    try:
        table = printers(app)
        terminals = kiosk_printers(app)
    except tomllib.TOMLDecodeError as exc:
        return [doctor.Finding("printers", doctor.Level.WARN,
                               f"printers.toml 格式错误 invalid: {exc}", "改正 fix "
                               "instance/printers.toml (docs/printer.md)")]
    if not table:
        return [doctor.Finding("printers", doctor.Level.WARN,
                               "没有配置打印机 no printer configured: kiosks print no slips",
                               "PRINTERS or instance/printers.toml (docs/printer.md)")]
    with ThreadPoolExecutor(max_workers=min(8, len(table))) as pool:
        states = dict(zip(table, pool.map(_probe_for_doctor, table.values()), strict=True))
    found = []
    for name, state in states.items():
        where = describe(table[name])
        if state.problem:
            found.append(doctor.Finding(
                f"printer {name}", doctor.Level.WARN,
                f"打印机不能打印 cannot print ({where}): {state.problem}",
                f"检查电源、连线、纸卷 check power, cable and paper; "
                f"then gongkai printer test {name}"))
        elif state.ready:
            found.append(doctor.Finding(f"printer {name}", doctor.Level.OK,
                                        f"打印机就绪 ready ({where})"))
        else:
            found.append(doctor.Finding(f"printer {name}", doctor.Level.OK,
                                        f"状态未知（此类打印机不回报）status unknown ({where})"))
    for terminal, name in terminals.items():
        if name not in table:
            found.append(doctor.Finding(
                "printers", doctor.Level.WARN,
                f"终端 {terminal} 指向不存在的打印机 kiosk {terminal} → unknown printer {name}",
                "改正 fix KIOSK_PRINTERS or [kiosk_printers]"))
    return found


# -- the command line -------------------------------------------------------------------------

printer_group = click.Group("printer", help="打印机 Printers: list them, print a test page, "
                                            "run a virtual printer.")


@printer_group.command("list")
@with_appcontext
def list_command() -> None:
    """Each printer: name, transport, paper and mode, and its status (asked now)."""
    spool = spool_of()
    table = printers()
    if not table:
        click.echo("没有配置打印机 no printers configured (PRINTERS or instance/printers.toml)")
    waits = {name: spool.refresh(name) for name in table}
    for name, cfg in table.items():
        try:
            profile = PrinterProfile.from_config(cfg)
            paper = f"{cfg.get('width', 58)}mm {profile.chinese} qr:{profile.qr}"
            waits[name].wait(float(cfg.get("timeout", 3)) + 1)
            state = spool.status(name)
            said = "ready" if state.ready else (state.problem or "unknown")
        except ValueError as exc:
            paper, said = "-", f"bad settings: {exc}"
        click.echo(f"{name:<12} {describe(cfg):<28} {paper:<28} {said}")
    for terminal, name in kiosk_printers().items():
        note = "" if name in table else "  (no such printer!)"
        click.echo(f"  kiosk {terminal} → {name}{note}")


@printer_group.command("test")
@click.argument("name")
@click.option("--direct", is_flag=True, help="Send straight to the printer, not via the spool.")
@click.option("--wait", "wait_seconds", default=15.0, show_default=True,
              help="Seconds to wait for the outcome.")
@with_appcontext
def test_command(name: str, direct: bool, wait_seconds: float) -> None:
    """Print a test page (Chinese, rare characters, QR, cut) on printer NAME."""
    if name not in printers():
        raise click.ClickException(f"没有这台打印机 no such printer: {name} "
                                   f"(known: {', '.join(printers()) or 'none'})")
    if direct:
        try:
            spool_of().transport(name).send(slip_bytes(make_test_slip(), profile_of(name)))
        except (PrinterError, ValueError) as exc:
            raise click.ClickException(f"打印失败 failed: {exc}") from exc
        click.echo(f"已打印 printed on {name}")
        return
    job = add(name, JobKind.TEST, make_test_slip())
    audit.record("print_test", obj_type="print_job", obj_id=job.id, label=name,
                 actor_name="命令行", new={"printer": name})
    db.session.commit()
    job_id = job.id
    send_now(job_id)  # here (a running server's worker may take it first: that is fine)
    final = wait_for(job_id, wait_seconds)
    if final is not None and final.status == JobStatus.DONE:
        click.echo(f"已打印 printed on {name} (job {job_id})")
        return
    if final is not None and final.status == JobStatus.PENDING:
        raise click.ClickException(f"未打印 not printed yet (job {job_id}): {final.last_error}; "
                                   "the server's spool retries it")
    state = final.status if final is not None else "?"
    error = final.last_error if final is not None else ""
    raise click.ClickException(f"未打印 not printed (job {job_id}, {state}): {error}")


@printer_group.command("emulate", context_settings={"ignore_unknown_options": True})
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9100, show_default=True, type=int)
@click.option("--out", "out_dir", default=None,
              help="Folder for <n>.png and <n>.txt [instance/virtual-printer].")
@click.option("--width", type=click.Choice(["58", "80"]), default="80", show_default=True)
@click.option("--paper-out", is_flag=True, help="Report paper out (to try the error path).")
@with_appcontext
def emulate_command(host: str, port: int, out_dir: str | None, width: str,
                    paper_out: bool) -> None:
    """Run a virtual network printer in the foreground until Ctrl-C."""
    out = out_dir or str(Path(current_app.instance_path) / VIRTUAL_PRINTER_DIR)
    argv = ["--host", host, "--port", str(port), "--out", out, "--width", width]
    if paper_out:
        argv.append("--paper-out")
    emulator_main(argv)


def init_app(app: Flask) -> None:
    """Register the spool, the ``gongkai printer`` commands and the ``gongkai run`` hook."""
    app.extensions["printer_spool"] = Spool(app)
    hooks: list[Callable[[Flask], None]] = app.extensions.setdefault("on_serve", [])
    hooks.append(_on_serve)
    app.cli.add_command(printer_group)
    doctor.register_check(app, "printers", doctor_printers)
    audit.register_action("print_test", _l("打印测试页"))
    audit.register_action("reprint", _l("重新打印"))
