"""What a reply letter (政府信息公开申请答复书) says, as data: its template family, its number,
the legal basis of the kind of reply (Art 36 and the articles it points to), the remedies
sentence and the agency's names. Pure: it reads an Application and the configuration mapping
it is given; the staff page renders the result with one template per kind family.

The letter is addressed to the applicant, so it carries the name in full (it is only shown to
disclosure officers, who print it); ID numbers and phones never appear on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from disclosure.models import Application, Stage
from disclosure.results import ART36_KINDS, RESULT_LABELS

#: Settings of the letter (``disclosure.staff.init_app`` sets these defaults; an instance
#: config or ``GONGKAI_*`` changes them).
DEFAULTS: dict[str, Any] = {
    # The agency that answers (the letter's header and signature); "" = HALL_NAME.
    "DISCLOSURE_AGENCY_NAME": "赣州市章贡区人民政府办公室",
    # Before the number: "章贡府办公开" gives 章贡府办公开〔2026〕第 12 号.
    "DISCLOSURE_LETTER_PREFIX": "",
    # Where the applicant may apply for administrative review, and the court (Art 51).
    "DISCLOSURE_REVIEW_BODY": "赣州市章贡区人民政府",
    "DISCLOSURE_COURT": "赣州市章贡区人民法院",
    # The office's address and phone for questions about the reply ("" = left out).
    "DISCLOSURE_OFFICE_CONTACT": "",
}

#: Art 36's kinds grouped into the letter templates (letters/<family>.html).
FAMILIES: dict[str, str] = {
    "already_public": "disclose", "disclose": "disclose", "partial": "disclose",
    "deny": "deny",
    "not_exist": "unable", "not_ours": "unable", "need_create": "unable", "unclear": "unable",
    "repeat": "reject", "petition": "reject", "publication": "reject", "massive": "reject",
    "confirm": "reject",
    "other_law": "other", "no_supplement": "other",
}

_CLAUSE_36 = {
    "already_public": _l("第三十六条第（一）项"),
    "disclose": _l("第三十六条第（二）项"),
    "partial": _l("第三十七条、第三十六条第（二）项和第（三）项"),
    "deny": _l("第三十六条第（三）项"),
    "not_exist": _l("第三十六条第（四）项"),
    "not_ours": _l("第三十六条第（五）项"),
    "need_create": _l("第三十八条"),
    "unclear": _l("第三十条"),
    "repeat": _l("第三十六条第（六）项"),
    "petition": _l("第三十九条第一款"),
    "publication": _l("第三十九条第二款"),
    "massive": _l("第三十五条"),
    "confirm": _l("第三十六条"),
    "other_law": _l("第三十六条第（七）项"),
    "no_supplement": _l("第三十条"),
}

#: The articles behind each of the eight reasons to withhold (report rows 三（三）1–8).
DENY_BASIS = {
    "deny_secret": _l("第十四条"),
    "deny_law": _l("第十四条"),
    "deny_safety": _l("第十四条"),
    "deny_third_party": _l("第十五条"),
    "deny_internal": _l("第十六条第一款"),
    "deny_process": _l("第十六条第二款"),
    "deny_enforcement": _l("第十六条第二款"),
    "deny_query": _l("第三十六条第（三）项"),
}

#: The reason to withhold, as the letter's sentence says it ("您申请获取的信息属于国家秘密").
DENY_PHRASES = {
    "deny_secret": _l("属于国家秘密"),
    "deny_law": _l("属于法律、行政法规禁止公开的信息"),
    "deny_safety": _l("公开后可能危及国家安全、公共安全、经济安全、社会稳定"),
    "deny_third_party": _l("涉及商业秘密、个人隐私等，公开会对第三方合法权益造成损害"),
    "deny_internal": _l("属于人事管理、后勤管理、内部工作流程等内部事务信息"),
    "deny_process": _l("属于讨论记录、过程稿、磋商信函、请示报告等过程性信息"),
    "deny_enforcement": _l("属于行政执法案卷信息"),
    "deny_query": _l("属于行政查询事项，应通过相应的查询渠道办理"),
}

_KIND_LABELS: dict[str, Any] = {code: label for code, label, _row in ART36_KINDS}
_KIND_LABELS["no_supplement"] = _l("逾期未补正，视为放弃申请")

REGULATION = _l("《中华人民共和国政府信息公开条例》")


@dataclass(frozen=True)
class Letter:
    family: str  # the template: disclose, deny, unable, reject, other
    kind: str
    kind_label: Any
    number: str  # 〔2026〕第 12 号
    agency: str
    applicant: str  # in full: the letter is addressed to the applicant
    contact_person: str
    app_number: str
    received_on: dt.date
    info: str  # what was asked for, as the applicant described it
    reply_text: str
    basis: Any  # "《条例》第三十六条第（一）项"
    deny_basis: Any  # the article behind the reason to withhold ("" unless deny/partial)
    deny_reason: Any  # the reason, as a phrase of the letter
    result_label: Any
    extra: Mapping[str, Any]
    remedies: Any
    dated: dt.date
    contact: str
    final: bool  # False: not answered yet, printed as a draft


def kind_of(app: Application) -> str:
    """The Art 36 kind of the reply: stored in ``reply_extra["kind"]`` by the answer form,
    else derived from the result (a closed case without supplement is ``no_supplement``)."""
    kind = str((app.reply_extra or {}).get("kind", ""))
    if kind in FAMILIES:
        return kind
    if app.result == "other_no_supplement" or app.stage == Stage.CLOSED:
        return "no_supplement"
    for code, _label, row in ART36_KINDS:
        if row and row == app.result:
            return code
    if app.result.startswith("deny_"):
        return "deny"
    return "other_law" if app.result else "disclose"


def letter_number(app: Application, prefix: str = "") -> str:
    """〔year of the reply〕第 N 号: N is the application's number in its year (one letter
    per case)."""
    year = (app.replied_on or app.closed_on or app.received_on).year
    return f"{prefix}〔{year}〕第 {app.seq} 号"


def remedies(review_body: str, court: str) -> Any:
    return _l("如对本答复不服，可以自收到本答复之日起六十日内向%(review)s申请行政复议，"
              "或者自收到本答复之日起六个月内向%(court)s提起行政诉讼。",
              review=review_body, court=court)


def _info(app: Application) -> str:
    parts = [app.info_title, app.info_doc_number and f"（{app.info_doc_number}）",
             app.info_description and not app.info_title and app.info_description]
    return "".join(p for p in parts if p) or app.info_description


def build_letter(app: Application, config: Mapping[str, Any],
                 today: dt.date | None = None) -> Letter:
    """The letter of ``app``'s reply (a draft until the case is answered or closed)."""
    kind = kind_of(app)
    final = app.replied_on is not None or app.closed_on is not None
    settings = {**DEFAULTS, **{k: config[k] for k in DEFAULTS if k in config}}
    agency = settings["DISCLOSURE_AGENCY_NAME"] or str(config.get("HALL_NAME", ""))
    basis = _l("%(reg)s%(clause)s", reg=REGULATION, clause=_CLAUSE_36[kind])
    reason = app.result if kind == "deny" else str((app.reply_extra or {}).get("deny_reason", ""))
    deny = DENY_BASIS.get(reason, "") if kind in {"deny", "partial"} else ""
    dated = app.replied_on or app.closed_on or today or dt.date.today()
    return Letter(
        family=FAMILIES[kind], kind=kind, kind_label=_KIND_LABELS.get(kind, kind),
        number=letter_number(app, settings["DISCLOSURE_LETTER_PREFIX"]), agency=agency,
        applicant=app.name, contact_person=app.contact_person, app_number=app.number,
        received_on=app.received_on, info=_info(app), reply_text=app.reply_text,
        basis=basis, deny_basis=deny, deny_reason=DENY_PHRASES.get(reason, ""),
        result_label=RESULT_LABELS.get(app.result, ""),
        extra=dict(app.reply_extra or {}),
        remedies=remedies(settings["DISCLOSURE_REVIEW_BODY"], settings["DISCLOSURE_COURT"]),
        dated=dated, contact=settings["DISCLOSURE_OFFICE_CONTACT"], final=final)
