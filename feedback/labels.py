"""How pages name the fixed values of ``feedback.models`` (lazy, so each page's language)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from feedback.models import Category, ConsultationStatus, SuggestionStatus

CATEGORY_LABELS: dict[str, Any] = {
    Category.SERVICE.value: _l("服务态度"),
    Category.PROCESS.value: _l("办事流程"),
    Category.POLICY.value: _l("政策建议"),
    Category.FACILITY.value: _l("环境设施"),
    Category.DISCLOSURE.value: _l("政务公开"),
    Category.OTHER.value: _l("其他"),
}
STATUS_LABELS: dict[str, Any] = {
    SuggestionStatus.NEW.value: _l("待分办"),
    SuggestionStatus.ASSIGNED.value: _l("办理中"),
    SuggestionStatus.ANSWERED.value: _l("已答复"),
    SuggestionStatus.CLOSED.value: _l("已办结"),
}
CONSULTATION_LABELS: dict[str, Any] = {
    ConsultationStatus.DRAFT.value: _l("草稿"),
    ConsultationStatus.OPEN.value: _l("征求中"),
    ConsultationStatus.CLOSED.value: _l("已结束"),
}


def category_label(value: str) -> Any:
    return CATEGORY_LABELS.get(value, value)


def status_label(value: str) -> Any:
    return STATUS_LABELS.get(value, value)


def consultation_label(value: str) -> Any:
    return CONSULTATION_LABELS.get(value, value)
