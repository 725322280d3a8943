"""``GET /api/search``: JSON shape, highlighting, filters and calm 400s."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient

from content.models import Policy
from content.services import agency_named, apply_fields, save


@pytest.fixture
def policy(app: Flask) -> Policy:
    return save(apply_fields(Policy(), {
        "title": "章贡区政府信息公开指南（2022年版）", "doc_number": "章府办发〔2022〕7号",
        "issuer": agency_named("章贡区人民政府办公室"), "issued_on": dt.date(2022, 4, 1),
        "body_html": "<p>申请人可以通过<strong>当面</strong>、信函方式提出政府信息公开申请。</p>",
    }))


def test_search_returns_json_results(client: FlaskClient, policy: Policy) -> None:
    response = client.get("/api/search", query_string={"q": "信息公开"})
    assert response.status_code == 200
    data = response.get_json()
    assert data["total"] == 1
    (result,) = data["results"]
    assert result["id"] == policy.id and result["kind"] == "policy"
    assert result["title"] == "章贡区政府信息公开指南（2022年版）"
    assert "<mark>信息公开</mark>" in result["title_html"]
    assert "<mark>信息公开</mark>" in result["snippet"]
    assert result["doc_number"] == "章府办发〔2022〕7号"
    assert result["issuer"] == "章贡区人民政府办公室"
    assert result["url"].endswith(f"/{policy.id}")


def test_pinyin_and_filters_over_http(client: FlaskClient, policy: Policy) -> None:
    assert client.get("/api/search?q=zfxxgk").get_json()["total"] == 1
    assert client.get("/api/search?q=zfxxgk&year=2021").get_json()["total"] == 0
    assert client.get("/api/search?q=zfxxgk&year=2022&validity=有效&kind=policy"
                      ).get_json()["total"] == 1


@pytest.mark.parametrize("params", [
    {"limit": "abc"}, {"limit": "0"}, {"limit": "51"}, {"offset": "-1"}, {"year": "x"},
    {"year": "２０２２"}, {"category": "1.5"}, {"issuer": "' OR 1=1"}, {"validity": "永久"},
    {"kind": "user"},
])
def test_bad_parameters_get_a_chinese_400(client: FlaskClient, params: dict[str, str]) -> None:
    response = client.get("/api/search", query_string={"q": "政府", **params})
    assert response.status_code == 400
    message = response.get_json()["error"]
    assert "参数" in message


@pytest.mark.parametrize("q", ['" * ( ) : ^ NEAR AND OR NOT -- ; DROP TABLE', "x" * 10_000, ""])
def test_hostile_queries_over_http(client: FlaskClient, policy: Policy, q: str) -> None:
    response = client.get("/api/search", query_string={"q": q})
    assert response.status_code == 200
    assert response.get_json()["total"] in (0, 1)
