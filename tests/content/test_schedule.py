"""Publication state: only published items reach citizens; schedules and expiry move items
in and out (through apply_due, the before-request check and the CLI); replaced-by links."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from content import queries, schedule
from content.models import (
    Attachment,
    Interpretation,
    Notice,
    Policy,
    PubStatus,
    ServiceGuide,
    Validity,
)
from content.schedule import apply_due, check_publication, next_due, parse_time
from content.search import SearchFilters, reindex_all, search
from content.services import agency_named, apply_fields, check_replacement, save
from hall.db import utcnow
from hall.extensions import db
from hall.models import AuditEntry

NOW = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)  # 09:00 in the hall
HOUR = dt.timedelta(hours=1)


def make_policy(title: str, *, status: PubStatus = PubStatus.PUBLISHED,
                publish_at: dt.datetime | None = None, expire_at: dt.datetime | None = None,
                doc_number: str = "", validity: Validity = Validity.VALID,
                replaced_by: Policy | None = None) -> Policy:
    return save(apply_fields(Policy(), {
        "title": title, "doc_number": doc_number, "issuer": agency_named("章贡区人民政府"),
        "issued_on": dt.date(2026, 3, 1), "validity": validity,
        "body_html": f"<p>{title}的正文：养老保险缴费。</p>",
        "status": status, "publish_at": publish_at, "expire_at": expire_at,
        "replaced_by": replaced_by,
    }))


def found(query: str) -> list[str]:
    return [h.title for h in search(query).hits]


def api_titles(client: FlaskClient, query: str) -> list[str]:
    response = client.get("/api/search", query_string={"q": query})
    assert response.status_code == 200
    return [r["title"] for r in response.get_json()["results"]]


# --- check_publication ------------------------------------------------------------------

@pytest.mark.parametrize(("status", "publish_at", "expire_at", "expected"), [
    (PubStatus.PUBLISHED, None, None, []),
    (PubStatus.DRAFT, None, None, []),
    (PubStatus.WITHDRAWN, NOW - HOUR, NOW - HOUR / 2, []),
    (PubStatus.SCHEDULED, NOW + HOUR, NOW + 2 * HOUR, []),
    ("scheduled", NOW + HOUR, None, []),
    (PubStatus.SCHEDULED, None, None, ["定时发布须填写发布时间。"]),
    (PubStatus.SCHEDULED, NOW, None, ["定时发布的发布时间应晚于现在。"]),
    (PubStatus.SCHEDULED, NOW + 2 * HOUR, NOW + HOUR, ["下线时间应晚于发布时间。"]),
    (PubStatus.PUBLISHED, NOW + HOUR, None, ["发布时间还没到：要到时自动发布，请选择“定时发布”。"]),
    (PubStatus.PUBLISHED, NOW - HOUR, NOW,
     ["下线时间已过：请选择“已撤回”，或把下线时间改到以后。"]),
    (PubStatus.DRAFT, NOW + HOUR, NOW + HOUR, ["下线时间应晚于发布时间。"]),
    ("online", None, None, ["发布状态无效（可选：草稿、定时发布、已发布、已撤回）。"]),
])
def test_check_publication_messages(app: Flask, status: Any, publish_at: dt.datetime | None,
                                    expire_at: dt.datetime | None, expected: list[str]) -> None:
    assert check_publication(status, publish_at, expire_at, NOW) == expected


def test_check_publication_without_a_clock_and_with_naive_times(app: Flask) -> None:
    # An old export's passed schedule is fine on import (apply_due settles it) ...
    assert check_publication(PubStatus.SCHEDULED, NOW - HOUR, None, None) == []
    # ... but the order of the two times is not.
    assert check_publication(PubStatus.SCHEDULED, NOW, NOW - HOUR, None) == [
        "下线时间应晚于发布时间。"]
    with pytest.raises(ValueError, match="naive"):
        check_publication(PubStatus.SCHEDULED, dt.datetime(2026, 12, 1, 9), None, NOW)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-01T09:00:00+08:00", dt.datetime(2026, 12, 1, 1, tzinfo=dt.UTC)),
    ("2026-12-01 09:00", dt.datetime(2026, 12, 1, 1, tzinfo=dt.UTC)),  # naive: Beijing
    ("2026-12-01T01:00Z", dt.datetime(2026, 12, 1, 1, tzinfo=dt.UTC)),
    ("2026-12-01", dt.datetime(2026, 11, 30, 16, tzinfo=dt.UTC)),
    ("2026-12-32T09:00", None),
    ("明天上午", None),
    ("", None),
])
def test_parse_time(text: str, expected: dt.datetime | None) -> None:
    assert parse_time(text) == expected


# --- visibility -------------------------------------------------------------------------

@pytest.mark.parametrize("status", [PubStatus.DRAFT, PubStatus.WITHDRAWN, PubStatus.SCHEDULED])
def test_unpublished_policy_is_404_and_not_searchable(
        app: Flask, client: FlaskClient, status: PubStatus) -> None:
    publish_at = utcnow() + HOUR if status is PubStatus.SCHEDULED else None
    hidden = make_policy("未公开的社保缴费通知", status=status, publish_at=publish_at)
    shown = make_policy("已公开的社保缴费通知")
    assert client.get(f"/kiosk/policies/{hidden.id}").status_code == 404
    assert client.get(f"/kiosk/policies/{shown.id}").status_code == 200
    assert found("社保缴费") == ["已公开的社保缴费通知"]
    assert api_titles(client, "社保缴费") == ["已公开的社保缴费通知"]
    assert search("", SearchFilters(kind="policy")).total == 1  # browsing counts too
    page = client.get("/kiosk/search", query_string={"q": "社保缴费"}).get_data(as_text=True)
    assert "已公开的" in page and "未公开的" not in page  # (the hit is highlighted)
    reindex_all()  # a full rebuild leaves it out as well
    assert found("社保缴费") == ["已公开的社保缴费通知"]


def test_withdrawing_removes_from_search_and_republishing_restores(
        app: Flask, client: FlaskClient) -> None:
    policy = make_policy("城乡居民医保参保通知")
    assert found("医保") == ["城乡居民医保参保通知"]
    policy.status = PubStatus.WITHDRAWN
    save(policy)
    assert found("医保") == [] and api_titles(client, "医保") == []
    assert client.get(f"/kiosk/policies/{policy.id}").status_code == 404
    policy.status = PubStatus.PUBLISHED
    save(policy)
    assert found("医保") == ["城乡居民医保参保通知"]


def test_lists_pages_and_links_show_only_published(app: Flask, client: FlaskClient) -> None:
    policy = make_policy("医疗救助办法")
    draft_policy = make_policy("草稿中的救助办法", status=PubStatus.DRAFT)
    make_policy("更早的草稿", status=PubStatus.DRAFT).issued_on = dt.date(1999, 1, 1)
    db.session.commit()
    agency = agency_named("章贡区医疗保障局")
    items = {}
    for name, status, linked in (("公开的解读", PubStatus.PUBLISHED, policy),
                                 ("草稿的解读", PubStatus.DRAFT, policy),
                                 ("解读草稿政策", PubStatus.PUBLISHED, draft_policy)):
        items[name] = save(apply_fields(Interpretation(), {
            "title": name, "policy": linked, "published_on": dt.date(2026, 3, 2),
            "status": status}))
    guides = [save(apply_fields(ServiceGuide(), {"title": f"{s.value}指南", "agency": agency,
                                                 "status": s}))
              for s in (PubStatus.PUBLISHED, PubStatus.WITHDRAWN)]
    notices = [save(apply_fields(Notice(), {"title": f"{s.value}公告", "status": s,
                                            "published_on": dt.date(2026, 11, 1)}))
               for s in (PubStatus.PUBLISHED, PubStatus.DRAFT)]

    page = client.get(f"/kiosk/policies/{policy.id}").get_data(as_text=True)
    assert "公开的解读" in page and "草稿的解读" not in page
    listing = client.get("/kiosk/interpretations").get_data(as_text=True)
    assert "公开的解读" in listing and "草稿的解读" not in listing
    assert client.get(f"/kiosk/interpretations/{items['草稿的解读'].id}").status_code == 404
    orphan = client.get(f"/kiosk/interpretations/{items['解读草稿政策'].id}")
    assert orphan.status_code == 200
    assert "草稿中的救助办法" not in orphan.get_data(as_text=True)  # no link to a 404
    assert [g.title for g in queries.guides()] == ["published指南"]
    assert client.get(f"/kiosk/guides/{guides[1].id}").status_code == 404
    assert [n.title for n in queries.recent_notices()] == ["published公告"]
    assert client.get(f"/kiosk/notices/{notices[1].id}").status_code == 404
    assert queries.policy_years() == [2026]  # the 1999 draft adds no year
    assert {h.title for h in search("").hits} == {
        "医疗救助办法", "公开的解读", "解读草稿政策", "published指南", "published公告"}


# --- the schedule -----------------------------------------------------------------------

def test_scheduled_policy_appears_after_apply_due(app: Flask, client: FlaskClient) -> None:
    start = utcnow()
    policy = make_policy("2027年度养老金调整方案", status=PubStatus.SCHEDULED,
                         publish_at=start + HOUR)
    assert apply_due(now=start) == 0
    assert client.get(f"/kiosk/policies/{policy.id}").status_code == 404
    assert found("养老金") == []
    assert apply_due(now=start + 2 * HOUR) == 1
    db.session.expire_all()
    assert db.session.get(Policy, policy.id).status is PubStatus.PUBLISHED
    assert found("养老金") == ["2027年度养老金调整方案"]
    assert api_titles(client, "养老金") == ["2027年度养老金调整方案"]
    assert client.get(f"/kiosk/policies/{policy.id}").status_code == 200
    assert apply_due(now=start + 3 * HOUR) == 0  # nothing twice
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "publish")).one()
    assert (entry.actor_name, entry.actor_id, entry.object_id) == ("系统", None, str(policy.id))
    assert entry.old == {"status": "scheduled"} and entry.new == {"status": "published"}


def test_expiry_withdraws(app: Flask, client: FlaskClient) -> None:
    start = utcnow()
    policy = make_policy("冬季供暖临时措施", expire_at=start + HOUR)
    assert found("供暖") == ["冬季供暖临时措施"]
    assert apply_due(now=start + 2 * HOUR) == 1
    db.session.expire_all()
    assert db.session.get(Policy, policy.id).status is PubStatus.WITHDRAWN
    assert found("供暖") == []
    assert client.get(f"/kiosk/policies/{policy.id}").status_code == 404


def test_due_and_expired_together_ends_withdrawn_once(app: Flask) -> None:
    start = utcnow()
    notice = save(apply_fields(Notice(), {
        "title": "短期停电公告", "published_on": dt.date(2026, 11, 1),
        "status": PubStatus.SCHEDULED, "publish_at": start + HOUR,
        "expire_at": start + 2 * HOUR}))
    changes = schedule.publish_due(start + 3 * HOUR)
    assert [(c.kind, c.object_id, c.status) for c in changes] == [
        ("notice", notice.id, PubStatus.WITHDRAWN)]
    assert found("停电") == []


def test_next_due(app: Flask) -> None:
    start = utcnow()
    assert next_due() is None
    make_policy("已发布无下线", publish_at=start - 5 * HOUR)
    make_policy("草稿有时间", status=PubStatus.DRAFT, publish_at=start + HOUR)
    make_policy("撤回有时间", status=PubStatus.WITHDRAWN, expire_at=start + HOUR)
    assert next_due() is None  # drafts and withdrawn items wait for nobody
    make_policy("定时", status=PubStatus.SCHEDULED, publish_at=start + 5 * HOUR)
    assert next_due() == start + 5 * HOUR
    save(apply_fields(ServiceGuide(), {"title": "限期指南", "agency": agency_named("民政局"),
                                       "expire_at": start + 3 * HOUR}))
    assert next_due() == start + 3 * HOUR
    apply_due(now=start + 4 * HOUR)
    assert next_due() == start + 5 * HOUR


def _count_queries(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def queries_run(app: Flask) -> Iterator[list[str]]:
    yield from _count_queries(app)


def test_before_request_publishes_a_due_item_on_the_next_request(
        app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    start = utcnow()
    policy = make_policy("到点发布的通知", status=PubStatus.SCHEDULED, publish_at=start + HOUR)
    assert client.get(f"/kiosk/policies/{policy.id}").status_code == 404
    monkeypatch.setattr(schedule, "utcnow", lambda: start + 2 * HOUR)
    assert client.get(f"/kiosk/policies/{policy.id}").status_code == 200
    assert found("到点发布") == ["到点发布的通知"]


def test_before_request_costs_no_query_when_nothing_is_due(
        app: Flask, client: FlaskClient, queries_run: list[str]) -> None:
    make_policy("稍后下线的通知", expire_at=utcnow() + 5 * HOUR)
    client.get("/kiosk/")  # the change made the cached due time stale: read it once
    assert any("expire_at" in s for s in queries_run)
    queries_run.clear()
    for _ in range(3):
        assert client.get("/kiosk/").status_code == 200
    assert queries_run == []
    make_policy("又一份通知")  # any content change: look again on the next request
    queries_run.clear()
    client.get("/kiosk/")
    assert any("expire_at" in s for s in queries_run)


def test_cached_due_time_is_reread_after_the_interval(
        app: Flask, client: FlaskClient, queries_run: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    client.get("/kiosk/")
    queries_run.clear()
    clock = [schedule.time.monotonic()]
    monkeypatch.setattr(schedule.time, "monotonic", lambda: clock[0])
    client.get("/kiosk/")
    assert queries_run == []
    clock[0] += app.config["CONTENT_SCHEDULE_CHECK_SECONDS"] + 1
    client.get("/kiosk/")
    assert any("publish_at" in s for s in queries_run)


def test_a_failing_check_does_not_break_pages(
        app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(schedule, "next_due", broken)
    assert client.get("/kiosk/").status_code == 200


def test_cli_publish_due_lists_what_changed(app: Flask, runner: FlaskCliRunner) -> None:
    past = utcnow() - HOUR
    make_policy("刚到点的定时通知", status=PubStatus.SCHEDULED, publish_at=past)
    make_policy("已过期的通知", expire_at=past)
    result = runner.invoke(args=["content", "publish-due"])
    assert result.exit_code == 0, result.output
    assert "已发布：政策文件" in result.output and "《刚到点的定时通知》" in result.output
    assert "已撤回：政策文件" in result.output and "《已过期的通知》" in result.output
    assert "共改动 2 条" in result.output
    again = runner.invoke(args=["content", "publish-due"])
    assert "没有到期的内容" in again.output
    help_text = runner.invoke(args=["content", "publish-due", "--help"]).output
    assert "发布已到发布时间的定时内容" in help_text


# --- replaced-by ------------------------------------------------------------------------

def test_check_replacement(app: Flask) -> None:
    old = make_policy("旧办法")
    middle = make_policy("中间办法", replaced_by=None)
    new = make_policy("新办法")
    assert check_replacement(old, None) == []
    assert check_replacement(old, new.id) == []
    assert check_replacement(old, old.id) == ["文件不能被它自己替代。"]
    assert check_replacement(old, 987654) == ["所选的替代文件不存在。"]
    old.replaced_by = middle
    middle.replaced_by = new
    db.session.commit()
    assert check_replacement(new, old.id) == [
        "不能循环替代：《旧办法》已经（直接或间接）被本文件替代。"]
    assert check_replacement(new, middle.id) != []
    unsaved = Policy(title="新建中的文件")
    assert check_replacement(unsaved, old.id) == []


def test_kiosk_policy_page_links_to_its_published_replacement(
        app: Flask, client: FlaskClient) -> None:
    new = make_policy("章贡区城乡居民基本养老保险实施办法", doc_number="章府发〔2025〕1号")
    old = make_policy("章贡区城乡居民基本养老保险实施办法（试行）", validity=Validity.REPEALED,
                      replaced_by=new)
    page = client.get(f"/kiosk/policies/{old.id}").get_data(as_text=True)
    assert "本文件已被《章贡区城乡居民基本养老保险实施办法》替代" in page
    assert f'href="/kiosk/policies/{new.id}"' in page and 'role="note"' in page
    assert "已被" not in client.get(f"/kiosk/policies/{new.id}").get_data(as_text=True)
    new.status = PubStatus.DRAFT  # a replacement nobody may read is not offered
    save(new)
    assert "已被" not in client.get(f"/kiosk/policies/{old.id}").get_data(as_text=True)


def test_replacement_chain_skips_unpublished_links(app: Flask, client: FlaskClient) -> None:
    newest = make_policy("2025年办法")
    middle = make_policy("2019年办法", status=PubStatus.WITHDRAWN, replaced_by=newest)
    old = make_policy("2014年办法", replaced_by=middle)
    assert queries.replacement_of(old) == newest
    page = client.get(f"/kiosk/policies/{old.id}").get_data(as_text=True)
    assert "本文件已被《2025年办法》替代" in page
    newest.replaced_by = old  # a loop (refused by check_replacement) must not hang a page
    middle.status = PubStatus.DRAFT
    newest.status = PubStatus.DRAFT
    db.session.commit()
    assert queries.replacement_of(old) is None


def test_attachments_of_unpublished_policies_are_not_served(app: Flask,
                                                            client: FlaskClient) -> None:
    media = Path(app.instance_path) / "media"
    media.mkdir(parents=True, exist_ok=True)
    (media / "draft-annex.pdf").write_bytes(b"%PDF-1.4 draft annex")
    policy = make_policy("草稿附件政策", status=PubStatus.DRAFT)
    save(Attachment(policy=policy, title="附件（草稿）", filename="draft-annex.pdf",
                    media_type="application/pdf", size=20))
    assert client.get("/media/draft-annex.pdf").status_code == 404
    policy.status = PubStatus.PUBLISHED
    save(policy)
    response = client.get("/media/draft-annex.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    response.close()
