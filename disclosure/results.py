"""The annual report's rows and columns (2021 format, table 三), which are also the typed
results a case can end with. One list, so the reply form and the report never disagree.

A case's ``result`` is one leaf-row code. Art 36's reply kinds map onto them: 已主动公开
and 可以公开 are 予以公开 (with where or how to get it), 信息不存在 / 不属于本机关 are
无法提供 1, 重复申请 is 不予处理 2, and so on (``ART36_KINDS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Row:
    code: str  # stored in Application.result ("" for a heading row)
    label: Any  # exactly as the report prints it
    group: str  # "" or the heading it sits under: disclose, partial, deny, unable, reject, other
    leaf: bool = True


#: Table 三's rows under 三、本年度办理结果, in order (headings are not leaves).
RESULT_ROWS: tuple[Row, ...] = (
    Row("disclose", _l("（一）予以公开"), "disclose"),
    Row("partial", _l("（二）部分公开（区分处理的，只计这一情形，不计其他情形）"), "partial"),
    Row("", _l("（三）不予公开"), "deny", leaf=False),
    Row("deny_secret", _l("1.属于国家秘密"), "deny"),
    Row("deny_law", _l("2.其他法律行政法规禁止公开"), "deny"),
    Row("deny_safety", _l("3.危及“三安全一稳定”"), "deny"),
    Row("deny_third_party", _l("4.保护第三方合法权益"), "deny"),
    Row("deny_internal", _l("5.属于三类内部事务信息"), "deny"),
    Row("deny_process", _l("6.属于四类过程性信息"), "deny"),
    Row("deny_enforcement", _l("7.属于行政执法案卷"), "deny"),
    Row("deny_query", _l("8.属于行政查询事项"), "deny"),
    Row("", _l("（四）无法提供"), "unable", leaf=False),
    Row("unable_not_held", _l("1.本机关不掌握相关政府信息"), "unable"),
    Row("unable_need_create", _l("2.没有现成信息需要另行制作"), "unable"),
    Row("unable_unclear", _l("3.补正后申请内容仍不明确"), "unable"),
    Row("", _l("（五）不予处理"), "reject", leaf=False),
    Row("reject_petition", _l("1.信访举报投诉类申请"), "reject"),
    Row("reject_repeat", _l("2.重复申请"), "reject"),
    Row("reject_publication", _l("3.要求提供公开出版物"), "reject"),
    Row("reject_massive", _l("4.无正当理由大量反复申请"), "reject"),
    Row("reject_confirm", _l("5.要求行政机关确认或重新出具已获取信息"), "reject"),
    Row("", _l("（六）其他处理"), "other", leaf=False),
    Row("other_no_supplement",
        _l("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"), "other"),
    Row("other_no_fee",
        _l("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"), "other"),
    Row("other", _l("3.其他"), "other"),
)

RESULT_CODES: tuple[str, ...] = tuple(r.code for r in RESULT_ROWS if r.leaf)
RESULT_LABELS: dict[str, Any] = {r.code: r.label for r in RESULT_ROWS if r.leaf}

#: Table 三's applicant columns, in order (总计 is their sum).
APPLICANT_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("person", _l("自然人")),
    ("business", _l("商业企业")),
    ("research", _l("科研机构")),
    ("public_interest", _l("社会公益组织")),
    ("legal_service", _l("法律服务机构")),
    ("other_org", _l("其他")),
)
APPLICANT_LABELS: dict[str, Any] = dict(APPLICANT_COLUMNS)

#: Art 36's reply kinds as the reply form offers them, each with its report row.
ART36_KINDS: tuple[tuple[str, Any, str], ...] = (
    ("already_public", _l("已主动公开：告知获取的方式和途径"), "disclose"),
    ("disclose", _l("予以公开：提供信息或告知获取的方式、途径和时间"), "disclose"),
    ("partial", _l("部分公开（区分处理）"), "partial"),
    ("deny", _l("不予公开：告知理由"), ""),  # the form then asks which of the 8 reasons
    ("not_exist", _l("信息不存在 / 本机关不掌握"), "unable_not_held"),
    ("not_ours", _l("不属于本机关：告知负责公开的机关"), "unable_not_held"),
    ("need_create", _l("需要另行制作：不予提供"), "unable_need_create"),
    ("unclear", _l("补正后申请内容仍不明确"), "unable_unclear"),
    ("repeat", _l("重复申请：不予重复处理"), "reject_repeat"),
    ("petition", _l("信访、投诉、举报：告知通过相应渠道提出"), "reject_petition"),
    ("publication", _l("要求提供公开出版物：告知获取途径"), "reject_publication"),
    ("massive", _l("无正当理由大量反复申请"), "reject_massive"),
    ("confirm", _l("要求确认或重新出具已获取信息"), "reject_confirm"),
    ("other_law", _l("其他法律法规另有规定（如工商、不动产登记资料查询）"), "other"),
)

#: Report rows 一、二、四 (around the results).
ROW_NEW = _l("一、本年新收政府信息公开申请数量")
ROW_CARRY_IN = _l("二、上年结转政府信息公开申请数量")
ROW_RESULTS = _l("三、本年度办理结果")
ROW_TOTAL = _l("（七）总计")
ROW_CARRY_OUT = _l("四、结转下年度继续办理")
CHECK_NOTE = _l("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）")
