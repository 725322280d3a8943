"""The server's log: where it goes, how much of it, and what never gets into it.

Settings (configuration, or the environment as ``GONGKAI_LOG_FILE`` / ``GONGKAI_LOG_LEVEL``):

``LOG_FILE``
    ``None`` (default): standard error. Under systemd that is the journal, which keeps and
    rotates it (``journalctl -u gongkai``). A path, e.g. ``/var/log/gongkai/gongkai.log``:
    that file, written through :class:`logging.handlers.WatchedFileHandler`, which notices
    when logrotate has moved the file away and opens a new one at its next line. Every
    gunicorn worker process does so on its own, so several workers share one file and
    logrotate needs neither ``copytruncate`` nor a signal (``deploy/logrotate/gongkai``). The
    folder must be writable by the server's user; when the file cannot be opened the log goes
    to standard error and its first line says why (the hall keeps serving). The root logger
    gets this one handler: one that a library's import-time ``logging.basicConfig()`` left
    there (python-escpos leaves one) is removed, so each record is written once, and masked.
``LOG_LEVEL``
    ``"INFO"`` (default): requests, start-up, spool and schedule notes. ``"DEBUG"`` adds the
    libraries' detail; ``"WARNING"`` keeps only what needs a look.
``LOG_MASK_PERSONAL``
    ``True`` (default): a last line of defence, :class:`PersonalDataFilter` masks anything that
    looks like a resident ID number or a mainland mobile number in every record the server's
    handlers write (ours, gunicorn's error and access logs, Werkzeug's request lines). Only a
    test turns it off, to show that nothing leaks at the source either.

Personal data is kept out of the log at the source as well:

- query strings: ``gongkai run`` logs request lines through :class:`QuietRequestHandler`
  (the path only); ``gongkai serve``'s access log format names the path only;
- SQL parameters: every engine is made with ``hide_parameters=True`` (a database error's
  message, logged with its traceback, then says ``[SQL parameters hidden due to
  hide_parameters=True]`` instead of the name and address being filed), and SQLAlchemy's
  loggers are held at WARNING (their own default) whatever ``LOG_LEVEL`` says: at INFO they
  would print every statement, at DEBUG the rows read;
- errors log the path and the traceback (``hall.errors``), never the form or the query.
"""

from __future__ import annotations

import logging
import re
import sys
from logging.handlers import WatchedFileHandler
from pathlib import Path
from typing import Any

from flask import Flask
from flask.logging import default_handler
from werkzeug.serving import WSGIRequestHandler

#: Each line: time, level, process (several gunicorn workers share a file), logger, message.
FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"
#: The name of the handler this module puts on the root logger (replaced, never doubled).
HANDLER_NAME = "gongkai"
#: Loggers that print SQL parameters or rows below WARNING.
QUIET_LOGGERS = ("sqlalchemy",)
#: gunicorn's own loggers (``gongkai serve``): their handlers get the filter too.
GUNICORN_LOGGERS = ("gunicorn.error", "gunicorn.access")

#: A resident ID number (GB 11643): area code, birth date, sequence and check character.
ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\d{3}[0-9Xx](?![0-9A-Za-z])")
#: A mainland mobile number, also as +86 1xx xxxx xxxx or with hyphens.
MOBILE = re.compile(r"(?<![0-9])(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?![0-9])")
ID_MASK = "<id-number>"
MOBILE_MASK = "<mobile>"

_QUERY = re.compile(r"\?[^\s\"'\x1b]*")


def mask_personal(text: str) -> str:
    """``text`` with ID numbers and mobile numbers replaced by ``<id-number>``/``<mobile>``."""
    return MOBILE.sub(MOBILE_MASK, ID_NUMBER.sub(ID_MASK, text))


def strip_query(text: str) -> str:
    """``text`` without its query strings (to a space or quote): ``GET /a?b=1`` → ``GET /a``."""
    return _QUERY.sub("", text)


class PersonalDataFilter(logging.Filter):
    """Masks ID and mobile numbers in a record's message, traceback and stack (in place, so
    every handler after this one writes the masked record too)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal(record.stack_info)
        return True


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler (``gongkai run``) whose log lines carry no query string: a
    query may hold what a citizen typed (a lookup key, a search, a pinyin of a name)."""

    def log(self, type: str, message: str, *args: Any) -> None:
        super().log(type, message, *(strip_query(a) if isinstance(a, str) else a for a in args))


def _level(value: Any) -> int:
    if isinstance(value, int):
        return value
    level = logging.getLevelName(str(value).strip().upper())
    if not isinstance(level, int):
        raise ValueError(f"LOG_LEVEL: not a logging level: {value!r} "
                         "(DEBUG, INFO, WARNING, ERROR)")
    return level


def _library_default(handler: logging.Handler) -> bool:
    """A handler a library's import-time ``logging.basicConfig()`` put on the root logger
    (python-escpos does): it would print every record a second time, unmasked."""
    return (type(handler) is logging.StreamHandler and handler.formatter is not None
            and handler.formatter._fmt == logging.BASIC_FORMAT)


def _has_filter(handler: logging.Handler) -> bool:
    return any(isinstance(f, PersonalDataFilter) for f in handler.filters)


def configure(log_file: str | None, level: Any = "INFO", mask: bool = True) -> logging.Handler:
    """Send the root logger's records (at ``level`` and above) to ``log_file`` or standard
    error. Calling it again replaces the handler it put there before."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME or _library_default(h)]:
        root.removeHandler(old)
        old.close()
    handler: logging.Handler = logging.StreamHandler(sys.stderr)
    problem = None
    if log_file:
        try:
            Path(log_file).parent.mkdir(parents=True, exist_ok=True)
            handler = WatchedFileHandler(log_file, encoding="utf-8")
        except OSError as error:  # the hall keeps serving; the journal says why
            problem = error
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(logging.Formatter(FORMAT))
    if mask:
        handler.addFilter(PersonalDataFilter())
        for name in GUNICORN_LOGGERS:
            for other in logging.getLogger(name).handlers:
                if not _has_filter(other):
                    other.addFilter(PersonalDataFilter())
    root.addHandler(handler)
    root.setLevel(_level(level))
    if problem is not None:
        logging.getLogger(__name__).error(
            "LOG_FILE %s cannot be written (%s): logging to standard error instead",
            log_file, problem)
    return handler


def _hide_sql_parameters(app: Flask) -> None:
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("hide_parameters", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def init_app(app: Flask) -> None:
    """Set up logging from the app's configuration (called by ``create_app`` before the
    database is attached, so the engine is made with its SQL parameters hidden).

    Tests keep pytest's own log capture unless they name a ``LOG_FILE``.
    """
    app.config.setdefault("LOG_FILE", None)
    app.config.setdefault("LOG_LEVEL", "INFO")
    app.config.setdefault("LOG_MASK_PERSONAL", True)
    _hide_sql_parameters(app)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if app.testing and not app.config["LOG_FILE"]:
        return
    configure(app.config["LOG_FILE"], app.config["LOG_LEVEL"],
              bool(app.config["LOG_MASK_PERSONAL"]))
    # The root handler now carries the app's records; Flask's own would print them twice.
    app.logger.removeHandler(default_handler)
