"""Staff content editing through the real pages (CSRF on): create, edit, publish, withdraw,
delete for every kind; the audit trail; search and the kiosk following; server validation."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from content.markdown import editable_source, render
from content.models import (
    Agency,
    Category,
    MediaFile,
    Policy,
    PubStatus,
)
from content.search import search
from content.services import apply_fields, save
from content.staff import KINDS
from content.staff_forms import format_materials, parse_materials
from hall.db import utcnow
from hall.extensions import db
from hall.models import AuditEntry, Role, StaffUser
from tests.staff_support import token_in

LoginAs = Callable[..., StaffUser]
BASE = "/staff/content"


# -- helpers (also used by test_staff_xss) ------------------------------------------------


def seed() -> dict[str, int]:
    """Two agencies and a category pair, committed; their ids."""
    gov = Agency(name="章贡区人民政府", kind="government")
    dept = Agency(name="章贡区民政局")
    top = Category(code="01", name="政策文件")
    child = Category(code="0101", name="规范性文件", parent=top)
    db.session.add_all([gov, dept, top, child])
    db.session.commit()
    return {"gov": gov.id, "dept": dept.id, "top": top.id, "child": child.id}


def local_input(when: dt.datetime) -> str:
    """A ``datetime-local`` value (Asia/Shanghai) for an aware time."""
    return when.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")


def form_data(kind: str, ids: dict[str, int], /, **over: Any) -> dict[str, Any]:
    """A valid form for ``kind``, as a browser would post it (``over`` replaces fields)."""
    data: dict[str, Any] = {
        "policy": {"title": "关于提高城乡低保标准的通知", "doc_number": "  章府发〔2026〕1号  ",
                   "issuer": ids["gov"], "category": ids["child"], "issued_on": "2026-03-01",
                   "effective_on": "", "validity": "有效", "replaced_by": "",
                   "summary": "提高低保标准。", "body": "## 一、标准\n\n每人每月 **800** 元。",
                   "source_url": ""},
        "interpretation": {"title": "图解：城乡低保新标准", "kind": "图解", "author": "民政局",
                           "policy": "", "published_on": "2026-03-02",
                           "body": "看图了解**新标准**。", "image": "", "image_alt": "",
                           "video": ""},
        "guide": {"title": "最低生活保障申请", "agency": ids["dept"], "category": "",
                  "conditions": "户籍在本区", "materials": "身份证 | 1 | 原件\n户口簿",
                  "steps": "申请\n审核\n审批", "basis": "《社会救助暂行办法》",
                  "time_limit": "30个工作日", "fee": "不收费", "place": "便民服务中心",
                  "hours": "工作日 9:00-17:00", "phone": "0797-8888888"},
        "notice": {"title": "春节期间办事大厅安排", "agency": "", "published_on": "2026-02-01",
                   "expires_on": "2026-02-20", "body": "大厅**2月10日**起正常上班。"},
        "catalog": {"seq": "7", "category": ids["child"], "content": "低保标准及申请条件",
                    "basis": "《社会救助暂行办法》", "time_limit": "信息形成20个工作日内",
                    "subject": "区民政局", "channels": "政府网站\n政务服务中心",
                    "audience": "全社会", "mode": "主动", "tier": "县级"},
    }[kind]
    if kind != "catalog":
        data.update(status="draft", publish_at="", expire_at="")
    data.update(over)
    return data


def post_form(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    """Open the form page, then post ``data`` with the page's own CSRF token."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return client.post(path, data={**data, "csrf_token": token_in(page.get_data(True))})


def post_action(client: FlaskClient, path: str, page_path: str) -> Any:
    """A quick action (publish / withdraw / delete) with the token from ``page_path``."""
    token = token_in(client.get(page_path).get_data(True))
    return client.post(path, data={"csrf_token": token})


def create(client: FlaskClient, kind: str, ids: dict[str, int], /, **over: Any) -> Any:
    """Create an item of ``kind`` through the new page; the stored object."""
    spec = KINDS[kind]
    before = db.session.scalar(select(func.max(spec.model.id))) or 0
    response = post_form(client, f"{BASE}/{kind}/new", form_data(kind, ids, **over))
    assert response.status_code == 303, _errors(response)
    db.session.expire_all()
    obj = db.session.scalar(select(spec.model).where(spec.model.id > before))
    assert obj is not None
    return obj


def _errors(response: Any) -> str:
    html = response.get_data(as_text=True)
    found = re.findall(r'class="error"[^>]*>([^<]+)<', html)
    return f"{response.status_code}: {found or html[:500]}"


def audits(action: str | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.session.scalars(stmt))


def hit_ids(text: str, kind: str = "policy") -> list[int]:
    return [h.object_id for h in search(text).hits if h.kind == kind]


def kiosk_path(kind: str, obj: Any) -> str:
    return {"policy": f"/kiosk/policies/{obj.id}",
            "interpretation": f"/kiosk/interpretations/{obj.id}",
            "guide": f"/kiosk/guides/{obj.id}", "notice": f"/kiosk/notices/{obj.id}",
            "catalog": "/kiosk/catalog"}[kind]


@pytest.fixture
def ids(app: Flask) -> dict[str, int]:
    return seed()


@pytest.fixture
def editor(login_as: LoginAs, ids: dict[str, int]) -> StaffUser:
    return login_as(Role.EDITOR)


# -- access -------------------------------------------------------------------------------


def test_pages_are_for_editors_only(client: FlaskClient, login_as: LoginAs,
                                    ids: dict[str, int]) -> None:
    assert client.get(f"{BASE}/").status_code == 302
    assert client.post(f"{BASE}/preview", data={"md": "x"}).status_code in (400, 401)
    login_as(Role.CLERK)
    assert client.get(f"{BASE}/").status_code == 403
    assert client.get(f"{BASE}/policy/new").status_code == 403


def test_overview_counts_and_menu(client: FlaskClient, editor: StaffUser,
                                  ids: dict[str, int]) -> None:
    create(client, "policy", ids)
    create(client, "policy", ids, title="另一份文件", status="published")
    html = client.get(f"{BASE}/").get_data(as_text=True)
    assert 'href="/staff/content/"' in html  # the 内容管理 menu link
    row = re.search(r'<th scope="row"><a href="/staff/content/policy/">.*?</tr>', html, re.S)
    assert row is not None
    numbers = re.findall(r">(\d+)<", row.group(0))
    assert numbers == ["1", "0", "1", "0", "2"]  # draft, scheduled, published, withdrawn, total


# -- the full life of a policy --------------------------------------------------------------


def test_policy_create_publish_edit_withdraw_delete(client: FlaskClient, editor: StaffUser,
                                                    ids: dict[str, int]) -> None:
    policy = create(client, "policy", ids, title="关于提高城乡低保标准的通知")
    assert policy.status is PubStatus.DRAFT
    assert policy.doc_number == "章府发〔2026〕1号"  # trimmed
    assert policy.body_md.startswith("## 一、标准")
    assert policy.body_html == render(policy.body_md)
    assert "<strong>800</strong>" in policy.body_html
    (created,) = audits("create")
    assert created.object_type == "policy" and created.object_id == str(policy.id)
    assert created.actor_name == editor.username
    assert created.old is None and created.new["title"] == "关于提高城乡低保标准的通知"
    # a draft: not searchable, not on the kiosk
    assert hit_ids("低保") == []
    assert client.get(kiosk_path("policy", policy)).status_code == 404

    edit = f"{BASE}/policy/{policy.id}"
    response = post_action(client, f"{edit}/publish", edit)
    assert response.status_code == 303
    db.session.expire_all()
    assert policy.status is PubStatus.PUBLISHED
    (published,) = audits("publish")
    assert published.old == {"status": "draft"} and published.new == {"status": "published"}
    assert hit_ids("低保") == [policy.id]
    assert "关于提高城乡低保标准的通知" in client.get(kiosk_path("policy", policy)).get_data(True)

    response = post_form(client, edit, form_data("policy", ids, title="关于提高低保标准的通知",
                                                 status="published"))
    assert response.status_code == 303, _errors(response)
    (updated,) = audits("update")
    assert updated.old == {"title": "关于提高城乡低保标准的通知"}
    assert updated.new == {"title": "关于提高低保标准的通知"}
    assert [h.title for h in search("低保").hits] == ["关于提高低保标准的通知"]

    response = post_action(client, f"{edit}/withdraw", edit)
    assert response.status_code == 303
    (withdrawn,) = audits("withdraw")
    assert withdrawn.old == {"status": "published"} and withdrawn.new == {"status": "withdrawn"}
    assert hit_ids("低保") == []
    assert client.get(kiosk_path("policy", policy)).status_code == 404

    response = post_action(client, f"{edit}/delete", edit)
    assert response.status_code == 303
    assert db.session.get(Policy, policy.id) is None
    (deleted,) = audits("delete")
    assert deleted.old["title"] == "关于提高低保标准的通知" and deleted.new is None


def test_saving_without_changes_writes_nothing(client: FlaskClient, editor: StaffUser,
                                               ids: dict[str, int]) -> None:
    policy = create(client, "policy", ids)
    response = post_form(client, f"{BASE}/policy/{policy.id}", form_data("policy", ids))
    assert response.status_code == 303
    assert [a.action for a in audits()] == ["login", "create"]


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_is_created_published_and_shown(client: FlaskClient, editor: StaffUser,
                                                   ids: dict[str, int], kind: str) -> None:
    extra = {} if kind == "catalog" else {"status": "published"}
    obj = create(client, kind, ids, **extra)
    page = client.get(kiosk_path(kind, obj))
    assert page.status_code == 200
    shown = obj.content if kind == "catalog" else obj.title
    assert shown in page.get_data(as_text=True)
    (entry,) = audits("create")
    assert entry.object_id == str(obj.id) and entry.new
    # the edit page shows the stored values again
    html = client.get(f"{BASE}/{kind}/{obj.id}").get_data(as_text=True)
    assert shown in html


def test_guide_lines_and_catalog_channels(client: FlaskClient, editor: StaffUser,
                                          ids: dict[str, int]) -> None:
    guide = create(client, "guide", ids, materials="身份证 | 2份 | 原件和复印件\n户口簿\n\n")
    assert guide.materials == [{"name": "身份证", "copies": 2, "note": "原件和复印件"},
                               {"name": "户口簿", "copies": 1, "note": ""}]
    assert guide.steps == ["申请", "审核", "审批"]
    item = create(client, "catalog", ids, channels="政府网站\n 政府网站 \n政务服务中心")
    assert item.channels == ["政府网站", "政务服务中心"]
    assert format_materials(guide.materials) == "身份证 | 2 | 原件和复印件\n户口簿 | 1"
    assert parse_materials(format_materials(guide.materials)) == guide.materials


def test_publication_times_are_hall_time_stored_utc(client: FlaskClient, editor: StaffUser,
                                                    ids: dict[str, int]) -> None:
    notice = create(client, "notice", ids, status="scheduled", publish_at="2099-05-01T09:30",
                    expire_at="2099-06-01T18:00")
    assert notice.status is PubStatus.SCHEDULED
    assert notice.publish_at == dt.datetime(2099, 5, 1, 1, 30, tzinfo=dt.UTC)
    assert notice.expire_at == dt.datetime(2099, 6, 1, 10, 0, tzinfo=dt.UTC)
    html = client.get(f"{BASE}/notice/{notice.id}").get_data(as_text=True)
    assert 'value="2099-05-01T09:30"' in html
    # scheduled items are not shown yet; publishing early by hand puts them live now
    assert client.get(kiosk_path("notice", notice)).status_code == 404
    edit = f"{BASE}/notice/{notice.id}"
    assert post_action(client, f"{edit}/publish", edit).status_code == 303
    db.session.expire_all()
    assert notice.status is PubStatus.PUBLISHED and notice.publish_at <= utcnow()
    assert client.get(kiosk_path("notice", notice)).status_code == 200


def test_publish_is_refused_past_the_expiry(client: FlaskClient, editor: StaffUser,
                                            ids: dict[str, int]) -> None:
    notice = create(client, "notice", ids, status="withdrawn",
                    expire_at=local_input(utcnow() - dt.timedelta(days=1)))
    edit = f"{BASE}/notice/{notice.id}"
    response = post_action(client, f"{edit}/publish", edit)
    assert response.status_code == 303
    assert "下线时间已过" in client.get(edit).get_data(as_text=True)
    db.session.expire_all()
    assert notice.status is PubStatus.WITHDRAWN
    assert audits("publish") == []


def test_policy_replacement_by_doc_number(client: FlaskClient, editor: StaffUser,
                                          ids: dict[str, int]) -> None:
    new = create(client, "policy", ids, title="新办法", doc_number="章府发〔2026〕9号",
                 status="published")
    old = create(client, "policy", ids, title="旧办法", doc_number="章府发〔2019〕3号",
                 validity="废止", replaced_by="章府发〔2026〕9号", status="published")
    assert old.replaced_by_id == new.id
    page = client.get(kiosk_path("policy", old)).get_data(as_text=True)
    assert "新办法" in page
    # a loop (新 replaced by 旧, which is replaced by 新) is refused
    response = post_form(client, f"{BASE}/policy/{new.id}", form_data(
        "policy", ids, title="新办法", doc_number="章府发〔2026〕9号", validity="失效",
        replaced_by="旧办法", status="published"))
    assert response.status_code == 422
    assert "不能循环替代" in response.get_data(as_text=True)


def test_interpretation_links_policy_and_media(client: FlaskClient, editor: StaffUser,
                                               ids: dict[str, int]) -> None:
    policy = create(client, "policy", ids, status="published")
    db.session.add_all([
        MediaFile(filename="uploads/ab/chart.png", original_name="标准图.png", kind="image",
                  media_type="image/png", size=10, sha256="a" * 64, alt="图"),
        MediaFile(filename="uploads/cd/talk.mp4", original_name="讲解.mp4", kind="video",
                  media_type="video/mp4", size=10, sha256="b" * 64),
    ])
    db.session.commit()
    page = client.get(f"{BASE}/interpretation/new").get_data(as_text=True)
    assert "标准图.png" in page and "讲解.mp4" in page
    assert 'list="policy-list"' in page and "章府发〔2026〕1号" in page
    response = post_form(client, f"{BASE}/interpretation/new", form_data(
        "interpretation", ids, policy="章府发〔2026〕1号", image="uploads/ab/chart.png",
        image_alt="", video="uploads/cd/talk.mp4"))
    assert response.status_code == 422
    assert "选了图片，就要填写替代文字" in response.get_data(as_text=True)
    response = post_form(client, f"{BASE}/interpretation/new", form_data(
        "interpretation", ids, policy="uploads/../x", image="uploads/zz/other.png",
        image_alt="说明"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "找不到文号或标题为" in html and "请从列表中选择" in html
    item = create(client, "interpretation", ids, policy="章府发〔2026〕1号",
                  image="uploads/ab/chart.png", image_alt="每人每月800元",
                  video="uploads/cd/talk.mp4", status="published")
    assert (item.policy_id, item.image, item.video) == (
        policy.id, "uploads/ab/chart.png", "uploads/cd/talk.mp4")
    # a policy with an interpretation is not deleted from under it
    edit = f"{BASE}/policy/{policy.id}"
    assert post_action(client, f"{edit}/delete", edit).status_code == 303
    assert db.session.get(Policy, policy.id) is not None
    assert "有 1 篇解读关联这份文件" in client.get(edit).get_data(as_text=True)


def test_html_imported_record_is_edited_from_its_html(client: FlaskClient, editor: StaffUser,
                                                      ids: dict[str, int]) -> None:
    policy = save(apply_fields(Policy(), {
        "title": "导入的文件", "issuer_id": ids["gov"], "issued_on": dt.date(2020, 1, 1),
        "body_html": "<p>第一条 <strong>总则</strong></p>", "body_md": "",
        "status": PubStatus.PUBLISHED}))
    html = client.get(f"{BASE}/policy/{policy.id}").get_data(as_text=True)
    assert "&lt;p&gt;第一条 &lt;strong&gt;总则&lt;/strong&gt;&lt;/p&gt;" in html  # the textarea
    assert editable_source("", "<p>x</p>") == "<p>x</p>"
    assert editable_source("*x*", "<p><em>x</em></p>") == "*x*"
    assert render("<p>第一条 <strong>总则</strong></p>") == "<p>第一条 <strong>总则</strong></p>"


def test_preview_is_the_sanitized_render(client: FlaskClient, editor: StaffUser) -> None:
    token = token_in(client.get(f"{BASE}/policy/new").get_data(True))
    md = "| 项目 | 标准 |\n|---|---|\n| 低保 | 800 |\n\n<script>x()</script>[a](javascript:x())"
    response = client.post(f"{BASE}/preview", data={"md": md}, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<table>" in html and "<td>低保</td>" in html
    assert "<script" not in html and "x()</" not in html
    assert "href" not in html  # the javascript: link stays text
    assert client.post(f"{BASE}/preview", data={"md": md}).status_code == 400  # no token


def test_list_filters_search_and_pages(client: FlaskClient, editor: StaffUser,
                                       ids: dict[str, int], monkeypatch: Any) -> None:
    monkeypatch.setattr("content.staff.PAGE_SIZE", 2)
    for n in range(3):
        create(client, "notice", ids, title=f"通知{n}号")
    create(client, "notice", ids, title="停电通知", status="published")
    html = client.get(f"{BASE}/notice/").get_data(as_text=True)
    assert html.index("停电通知") < html.index("通知2号")  # newest first
    assert "通知0号" not in html and "第 1 / 2 页" in html
    assert "通知0号" in client.get(f"{BASE}/notice/?page=2").get_data(as_text=True)
    html = client.get(f"{BASE}/notice/?status=published").get_data(as_text=True)
    assert "停电通知" in html and "通知1号" not in html
    html = client.get(f"{BASE}/notice/?q=1号").get_data(as_text=True)
    assert "通知1号" in html and "通知2号" not in html and "停电通知" not in html
    assert client.get(f"{BASE}/notice/?q=%25").status_code == 200


def test_chinese_titles_survive_the_round_trip(client: FlaskClient, editor: StaffUser,
                                               ids: dict[str, int]) -> None:
    title = "𠮷安县〇号文件（试行）：实施细则"
    for kind in ("policy", "interpretation", "guide", "notice"):
        obj = create(client, kind, ids, title=title, status="published")
        assert obj.title == title
        assert title in client.get(kiosk_path(kind, obj)).get_data(as_text=True)
        assert title in client.get(f"{BASE}/{kind}/{obj.id}").get_data(as_text=True)
    item = create(client, "catalog", ids, content=title)
    assert title in client.get("/kiosk/catalog").get_data(as_text=True)
    assert item.content == title
    assert hit_ids("细则") != []


# -- validation ---------------------------------------------------------------------------

LONG = "文" * 301
PUBLISHED_KINDS = ("policy", "interpretation", "guide", "notice")
BAD_INPUT: list[tuple[str, dict[str, Any], str]] = [
    *((kind, {"title": ""}, "此项必填") for kind in PUBLISHED_KINDS),
    *((kind, {"title": LONG}, "最多 300 个字") for kind in PUBLISHED_KINDS),
    ("catalog", {"content": "  "}, "此项必填"),
    ("catalog", {"seq": "第三"}, "请填写一个正整数"),
    ("catalog", {"channels": "微信群"}, "不是标准的公开渠道"),
    ("catalog", {"category": ""}, "请从列表中选择"),
    ("catalog", {"audience": "某人"}, "请从列表中选择"),
    ("policy", {"issued_on": "2026-02-30"}, "日期无效"),
    ("policy", {"issued_on": ""}, "此项必填"),
    ("policy", {"issuer": "99999"}, "请从列表中选择"),
    ("policy", {"issuer": "abc"}, "请从列表中选择"),
    ("policy", {"category": "99999"}, "请从列表中选择"),
    ("policy", {"doc_number": "号" * 101}, "最多 100 个字"),
    ("policy", {"validity": "永久"}, "请从列表中选择"),
    ("policy", {"source_url": "javascript:alert(1)"}, "链接应以 http:// 或 https:// 开头"),
    ("policy", {"validity": "有效", "replaced_by": "章府发〔2026〕1号"}, "只有失效或废止的文件"),
    ("policy", {"validity": "废止", "replaced_by": "不存在的文号"}, "找不到文号或标题为"),
    ("interpretation", {"published_on": "2026/3/2"}, "日期无效"),
    ("interpretation", {"kind": "漫画"}, "请从列表中选择"),
    ("guide", {"agency": ""}, "请从列表中选择"),
    ("guide", {"materials": "身份证 | 两份"}, "第 1 行应为"),
    ("guide", {"phone": "1" * 51}, "最多 50 个字"),
    ("notice", {"expires_on": "2026-01-01"}, "不能早于发布日期"),
    ("notice", {"publish_at": "明天早上"}, "时间无效"),
    ("notice", {"status": "scheduled", "publish_at": "2099-02-01T09:00",
                "expire_at": "2099-01-01T09:00"}, "下线时间应晚于发布时间"),
    ("notice", {"status": "scheduled"}, "定时发布须填写发布时间"),
    ("notice", {"status": "published", "publish_at": "2099-01-01T09:00"}, "发布时间还没到"),
    ("notice", {"status": "gone"}, "请从列表中选择"),
]


@pytest.mark.parametrize(("kind", "bad", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_a_chinese_message(
        client: FlaskClient, editor: StaffUser, ids: dict[str, int], kind: str,
        bad: dict[str, Any], message: str) -> None:
    model = KINDS[kind].model
    response = post_form(client, f"{BASE}/{kind}/new", form_data(kind, ids, **bad))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "没有保存，请改正以下问题" in html
    assert db.session.scalar(select(func.count()).select_from(model)) == 0
    assert [a.action for a in audits()] == ["login"]


def test_editing_itself_as_replacement_is_refused(client: FlaskClient, editor: StaffUser,
                                                  ids: dict[str, int]) -> None:
    policy = create(client, "policy", ids)
    edit = f"{BASE}/policy/{policy.id}"
    response = post_form(client, edit, form_data("policy", ids, title="改过的标题",
                                                 validity="失效",
                                                 replaced_by="章府发〔2026〕1号"))
    assert response.status_code == 422
    assert "文件不能被它自己替代" in response.get_data(as_text=True)
    db.session.expire_all()
    assert policy.title == "关于提高城乡低保标准的通知" and policy.replaced_by_id is None
    assert audits("update") == []


def test_edit_of_a_missing_item_is_404(client: FlaskClient, editor: StaffUser) -> None:
    assert client.get(f"{BASE}/policy/999").status_code == 404
    assert client.get(f"{BASE}/nonsense/").status_code == 404
    token = token_in(client.get(f"{BASE}/").get_data(True))
    assert client.post(f"{BASE}/catalog/1/publish", data={"csrf_token": token}).status_code == 404


def test_pages_have_no_inline_script_or_style(client: FlaskClient, editor: StaffUser,
                                              ids: dict[str, int]) -> None:
    paths = [f"{BASE}/"]
    for kind in KINDS:
        obj = create(client, kind, ids)
        paths += [f"{BASE}/{kind}/", f"{BASE}/{kind}/new", f"{BASE}/{kind}/{obj.id}"]
    for path in paths:
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "'self'" in response.headers.get("Content-Security-Policy", ""), path
        assert re.search(r"<script(?![^>]*\bsrc=)", html) is None, path
        assert re.search(r"\sstyle=|<style", html) is None, path
        assert re.search(r"\son[a-z]+=", html) is None, path
