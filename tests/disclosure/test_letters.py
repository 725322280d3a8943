"""Reply letters: one template per kind family, the right article of the Regulations for each
kind, the applicant's full name (the letter is addressed to them) but never the ID or phone,
the remedies sentence, the number and the date; a draft refusal before any answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from disclosure import letters, workflow
from disclosure.models import Application
from disclosure.results import ART36_KINDS
from hall.models import Role
from hall.timefmt import local_today
from tests.disclosure.support import PHONE, VALID_ID, file_one, to_processing

LoginAs = Callable[..., Any]

#: kind, result, extra, the family's template, the article the letter must cite, a sentence.
CASES = [
    ("already_public", "", {"where": "章贡区人民政府网站“政府信息公开”栏目"}, "disclose",
     "第三十六条第（一）项", "已经主动公开"),
    ("disclose", "", {}, "disclose", "第三十六条第（二）项", "现予以公开"),
    ("partial", "", {"deny_reason": "deny_third_party"}, "disclose", "第三十七条", "区分处理"),
    ("deny", "deny_secret", {}, "deny", "第十四条", "属于国家秘密"),
    ("deny", "deny_process", {}, "deny", "第十六条第二款", "过程性信息"),
    ("not_exist", "", {}, "unable", "第三十六条第（四）项", "该政府信息不存在"),
    ("not_ours", "", {"agency": "赣州市自然资源局章贡分局"}, "unable",
     "第三十六条第（五）项", "赣州市自然资源局章贡分局"),
    ("need_create", "", {}, "unable", "第三十八条", "加工、分析"),
    ("repeat", "", {}, "reject", "第三十六条第（六）项", "重复申请"),
    ("petition", "", {}, "reject", "第三十九条第一款", "信访、投诉、举报"),
    ("publication", "", {"where": "市图书馆"}, "reject", "第三十九条第二款", "公开出版物"),
    ("massive", "", {}, "reject", "第三十五条", "合理范围"),
    ("other_law", "", {}, "other", "第三十六条第（七）项", "不动产登记"),
]


def _answered(kind: str, result: str, extra: dict[str, str]) -> Application:
    today = local_today()
    app = to_processing(file_one(today, now=dt.datetime.now(dt.UTC)), today=today)
    return workflow.answer(app, "officer", kind, result, "具体情况说明如下。\n第二段。", extra,
                           on=today, today=today)


@pytest.mark.parametrize(("kind", "result", "extra", "family", "article", "sentence"), CASES,
                         ids=[f"{c[0]}-{c[1] or 'fixed'}" for c in CASES])
def test_letter_per_kind(client: FlaskClient, login_as: LoginAs, kind: str, result: str,
                         extra: dict[str, str], family: str, article: str,
                         sentence: str) -> None:
    app = _answered(kind, result, extra)
    data = letters.build_letter(app, {})
    assert data.family == family and data.final
    login_as(Role.OFFICER)
    response = client.get(f"/staff/disclosure/{app.id}/letter")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "政府信息公开申请答复书" in html
    assert f"〔{local_today().year}〕第 {app.seq} 号" in html
    assert "《中华人民共和国政府信息公开条例》" in html and article in html
    assert sentence in html
    assert "张三：" in html  # addressed to the applicant, in full
    assert VALID_ID not in html and PHONE not in html and "110105" not in html
    assert "六十日内" in html and "六个月内" in html  # 行政复议 / 行政诉讼
    assert "（盖章）" in html and "另存为 PDF" in html
    assert "具体情况说明如下。" in html and "第二段。" in html
    today = local_today()
    assert f"{today.year}年{today.month}月{today.day}日" in html


def test_closed_without_supplement_has_its_letter(client: FlaskClient,
                                                 login_as: LoginAs) -> None:
    received = local_today() - dt.timedelta(days=40)
    app = file_one(received)
    workflow.request_supplement(app, "officer", "请写明文号。",
                                received + dt.timedelta(days=10), today=received)
    workflow.close_no_supplement(app, "officer", local_today())
    data = letters.build_letter(app, {})
    assert (data.kind, data.family) == ("no_supplement", "other")
    login_as(Role.OFFICER)
    html = client.get(f"/staff/disclosure/{app.id}/letter").get_data(as_text=True)
    assert "视为放弃申请" in html and "第三十条" in html


def test_no_letter_before_an_answer(client: FlaskClient, login_as: LoginAs) -> None:
    app = file_one(local_today(), now=dt.datetime.now(dt.UTC))
    login_as(Role.OFFICER)
    response = client.get(f"/staff/disclosure/{app.id}/letter")
    assert response.status_code == 409
    assert "还没有答复" in response.get_data(as_text=True)
    assert client.get("/staff/disclosure/999999/letter").status_code == 404


def test_settings_name_the_agency_review_body_and_court(app: Any) -> None:
    row = _answered("disclose", "", {})
    data = letters.build_letter(row, {"DISCLOSURE_AGENCY_NAME": "赣州市某某局",
                                      "DISCLOSURE_LETTER_PREFIX": "赣某公开",
                                      "DISCLOSURE_REVIEW_BODY": "赣州市人民政府",
                                      "DISCLOSURE_COURT": "赣州市中级人民法院"})
    assert data.agency == "赣州市某某局"
    assert data.number.startswith("赣某公开〔")
    assert "赣州市人民政府申请行政复议" in str(data.remedies)
    assert "赣州市中级人民法院提起行政诉讼" in str(data.remedies)
    default = letters.build_letter(row, app.config)
    assert default.agency == app.config["DISCLOSURE_AGENCY_NAME"]


def test_every_kind_has_a_family_and_an_article() -> None:
    for code, _label, _row in ART36_KINDS:
        assert code in letters.FAMILIES, code
        assert code in letters._CLAUSE_36, code
    assert set(letters.DENY_BASIS) == set(letters.DENY_PHRASES)
