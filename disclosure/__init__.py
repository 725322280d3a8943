"""Applications for disclosure (依申请公开): filing, workflow to legal deadlines, replies,
the annual report."""

from __future__ import annotations

from flask import Flask

from disclosure import (  # one name per line: add yours, and to PARTS below
    cli,
    demo,
    models,  # noqa: F401  (the tables, for migrations)
    report_cli,  # the annual report: `gongkai report annual`
    staff,  # the case pages, reply letters and dashboard panel
    staff_report,  # the annual report's staff pages
    workflow,
)
from hall import audit

#: Defaults; an operator overrides them in instance/config.py or GONGKAI_* variables.
DEFAULTS: dict[str, object] = {
    #: Key material for personal data at rest (hall.crypto); None: derived from SECRET_KEY.
    "PERSONAL_DATA_KEY": None,
    #: Years an archived case keeps its personal data (档案: typically 10).
    "DISCLOSURE_RETENTION_YEARS": 10,
    #: Working days the applicant gets to supplement (补正), by default.
    "DISCLOSURE_SUPPLEMENT_DAYS": 15,
    "DISCLOSURE_LOOKUP_RATE_LIMIT": "10 per minute;60 per hour",
    "DISCLOSURE_FILE_RATE_LIMIT": "5 per minute;30 per hour",
}

#: Each part of the feature that registers itself (blueprints, commands, demo step), each with
#: its own ``init_app(app)``. Add yours with one line (``staff``: the staff case pages).
PARTS = (
    cli,
    demo,
    report_cli,
    staff,
    staff_report,
)


def init_app(app: Flask) -> None:
    """Config defaults, the audit log's labels, then every part in ``PARTS``."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    for code, label in workflow.AUDIT_ACTIONS.items():
        audit.register_action(code, label)
    for part in PARTS:
        part.init_app(app)
