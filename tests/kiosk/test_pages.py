"""Kiosk pages through the Flask test client: every route renders real data, bad input gets a
calm 400/404 page, and no page carries inline script, inline style or a remote address."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient

from content import stats
from hall import usage
from hall.timefmt import local_today
from kiosk.qr import qr_svg
from tests.kiosk.fixtures import GRAPHIC_FILE, make_sample_content
from tests.staff_support import token_in


class _Page(HTMLParser):
    """Collects what the CSP and offline rules care about."""

    def __init__(self) -> None:
        super().__init__()
        self.html_attrs: dict[str, str | None] = {}
        self.styles: list[str] = []
        self.handlers: list[str] = []
        self.inline_scripts = 0
        self.urls: list[str] = []
        self.ids: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.html_attrs = found
        if tag == "script":
            self._in_script = True
            if not found.get("src"):
                self.inline_scripts += 1
        if tag == "style":
            self.styles.append("<style>")
        for name, value in attrs:
            if name == "style":
                self.styles.append(f"{tag}[style={value}]")
            if name.startswith("on"):
                self.handlers.append(f"{tag}[{name}]")
            if name in {"href", "src", "action", "poster", "data"} and value:
                self.urls.append(value)
            if name == "id" and value:
                self.ids.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1


def parse(body: bytes) -> _Page:
    page = _Page()
    page.feed(body.decode())
    return page


@pytest.fixture
def ids(app: Flask) -> dict[str, int]:
    return make_sample_content()


def _pages(ids: dict[str, int]) -> list[str]:
    return [
        "/kiosk/",
        "/kiosk/search",
        "/kiosk/search?q=社保",
        "/kiosk/search?q=zfxxgk&validity=有效",
        "/kiosk/categories",
        f"/kiosk/categories/{ids['category_social']}",
        f"/kiosk/categories/{ids['category_pension']}",
        f"/kiosk/policies/{ids['policy_regulations']}",
        f"/kiosk/policies/{ids['policy_social']}",
        f"/kiosk/policies/{ids['policy_repealed']}",
        "/kiosk/interpretations",
        f"/kiosk/interpretations/{ids['interpretation_graphic']}",
        f"/kiosk/interpretations/{ids['interpretation_text']}",
        "/kiosk/guides",
        f"/kiosk/guides/{ids['guide']}",
        "/kiosk/notices",
        f"/kiosk/notices/{ids['notice']}",
        "/kiosk/catalog",
    ]


def test_every_page_renders_clean_for_the_csp_and_offline(
    client: FlaskClient, ids: dict[str, int]
) -> None:
    for url in _pages(ids):
        response = client.get(url)
        assert response.status_code == 200, url
        page = parse(response.data)
        assert page.html_attrs.get("lang") == "zh-CN", url
        assert page.styles == [], (url, page.styles)
        assert page.handlers == [], (url, page.handlers)
        assert page.inline_scripts == 0, url
        remote = [u for u in page.urls if re.match(r"^(https?:)?//", u)]
        assert remote == [], (url, remote)
        assert "首页" in response.text and "返回" in response.text or url == "/kiosk/", url
        assert "长者模式" in response.text and "English" in response.text, url
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_start_screen_offers_only_the_services_that_exist(client: FlaskClient, app: Flask) -> None:
    app.config["HALL_NAME"] = "𠮷安县政务服务中心（测试）"
    text = client.get("/kiosk/").text
    assert "𠮷安县政务服务中心（测试）" in text
    for name in ("取号", "依申请公开", "政策查询", "政策解读", "办事指南", "公开目录", "通知公告",
                 "服务评价", "意见建议", "征求意见"):
        assert name in text
    tiles = re.findall(r'<a class="tile[^"]*" href="([^"]+)"', text)
    assert len(tiles) == 11
    for href in tiles:
        assert client.get(href).status_code == 200, href
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 星期[一二三四五六日]", text)
    assert 'aria-pressed="false"' in text


def test_unknown_ids_are_404_pages(client: FlaskClient, ids: dict[str, int]) -> None:
    for url in ("/kiosk/policies/999999", "/kiosk/interpretations/999999", "/kiosk/guides/999999",
                "/kiosk/notices/999999", "/kiosk/categories/999999", "/kiosk/nothing-here",
                "/kiosk/policies/abc"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "返回首页" in response.text and "没有找到" in response.text
        assert parse(response.data).styles == []


@pytest.mark.parametrize("query", [
    "year=abc", "year=1800", "page=0", "page=-1", "page=abc", "category=x", "issuer=1.5",
    "validity=永久", "q=" + "政" * 101,
])
def test_bad_search_parameters_get_a_calm_400(client: FlaskClient, query: str) -> None:
    response = client.get(f"/kiosk/search?{query}")
    assert response.status_code == 400
    assert "返回首页" in response.text
    assert "Traceback" not in response.text


def test_search_renders_highlighted_results_and_filters(
    client: FlaskClient, ids: dict[str, int]
) -> None:
    text = client.get("/kiosk/search?q=社保").text
    assert "<mark>社保</mark>" in text
    assert f"/kiosk/policies/{ids['policy_social']}" in text
    assert re.search(r'aria-live="polite"[^>]*>共找到 \d+ 条结果', text)
    assert 'inputmode="none"' in text and 'name="q"' in text and 'value="社保"' in text
    for key in ("〔", "〕", "删除", "清空", "空格", 'data-key="z"', 'data-key="0"'):
        assert key in text
    repealed = client.get("/kiosk/search?q=养老保险&validity=废止").text
    assert "实施办法（试行）" in repealed and "缴费工作的通知" not in repealed
    assert "废止" in repealed
    by_number = client.get("/kiosk/search?q=" + "〔2025〕12号").text
    assert "章府办字〔2025〕12号" in by_number


def test_search_pages_through_results(client: FlaskClient, app: Flask,
                                      ids: dict[str, int]) -> None:
    app.config["SEARCH_PAGE_SIZE"] = 1
    first = client.get("/kiosk/search?q=社保").text
    assert "第 1 页" in first and "下一页" in first and "page=2" in first
    second = client.get("/kiosk/search?q=社保&page=2").text
    assert "第 2 页" in second and "上一页" in second
    beyond = client.get("/kiosk/search?q=社保&page=50")
    assert beyond.status_code == 200 and "没有找到相关内容" in beyond.text


def test_category_browsing_lists_policies(client: FlaskClient, ids: dict[str, int]) -> None:
    tree = client.get("/kiosk/categories").text
    assert "社会保障" in tree and "养老保险" in tree and "行政法规" in tree
    top = client.get(f"/kiosk/categories/{ids['category_social']}").text
    assert f"/kiosk/categories/{ids['category_pension']}" in top
    leaf = client.get(f"/kiosk/categories/{ids['category_pension']}").text
    assert "章贡区关于做好2025年城乡居民社保缴费工作的通知（𠮷安片区适用）" in leaf
    assert "政府信息公开条例" not in leaf


def test_article_page(client: FlaskClient, ids: dict[str, int]) -> None:
    text = client.get(f"/kiosk/policies/{ids['policy_social']}").text
    assert "章府办字〔2025〕12号" in text and "赣州市章贡区人民政府" in text
    assert "2025年1月6日" in text and "有效" in text
    assert "联系人：𠮷先生" in text  # the sanitized body, rendered as HTML
    assert '<div id="article-body" class="prose"><p>各镇人民政府' in text
    assert ('<button type="button" class="readaloud" data-readaloud-target="#article-body" '
            'aria-pressed="false"') in text
    assert 'src="/kiosk/static/kiosk/js/readaloud.js"' in text
    assert "缴费档次表（附件1）" in text and "/media/jiaofei.pdf" in text
    assert "图解：2025年城乡居民社保缴费怎么交？" in text
    svg = re.search(r"<svg[^>]*>.*?</svg>", text, re.S)
    assert svg and 'class="qr"' in svg.group(0) and "<path" in svg.group(0)
    assert "跳到第" not in text  # no art-N anchors in this one


def test_repealed_policy_says_so_in_text(client: FlaskClient, ids: dict[str, int]) -> None:
    text = client.get(f"/kiosk/policies/{ids['policy_repealed']}").text
    assert re.search(r'class="badge badge-repealed">\s*废止', text)


def test_qr_code_encodes_the_public_address(client: FlaskClient, ids: dict[str, int]) -> None:
    url = f"http://hall.example.test/kiosk/policies/{ids['policy_social']}"
    text = client.get(f"/kiosk/policies/{ids['policy_social']}").text
    expected = re.search(r'd="([^"]+)"', qr_svg(url, "x"))
    other = re.search(r'd="([^"]+)"', qr_svg("http://127.0.0.1:5000/kiosk/", "x"))
    assert expected and other and expected.group(1) != other.group(1)
    assert f'd="{expected.group(1)}"' in text


def test_regulations_jump_control(client: FlaskClient, ids: dict[str, int]) -> None:
    url = f"/kiosk/policies/{ids['policy_regulations']}"
    text = client.get(url).text
    assert "跳到第" in text and 'id="art-33"' in text and "jump.js" in text
    jump = client.get(f"{url}?art=33")
    assert jump.status_code == 302 and jump.headers["Location"].endswith(f"{url}#art-33")
    assert client.get(f"{url}?art=99").status_code == 400
    assert client.get(f"{url}?art=x").status_code == 400


def test_interpretation_shows_graphic_with_alt(client: FlaskClient, ids: dict[str, int]) -> None:
    text = client.get(f"/kiosk/interpretations/{ids['interpretation_graphic']}").text
    assert f'src="/media/{GRAPHIC_FILE}"' in text
    assert 'alt="图解：缴费档次从200元到6000元共十五档' in text
    assert f"/kiosk/policies/{ids['policy_social']}" in text
    with client.get(f"/media/{GRAPHIC_FILE}") as image:
        assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    listing = client.get("/kiosk/interpretations").text
    assert "图解" in listing and "文字解读" in listing


def test_guide_notice_and_catalog(client: FlaskClient, ids: dict[str, int]) -> None:
    guide = client.get(f"/kiosk/guides/{ids['guide']}").text
    for part in ("居民身份证或户口簿", "原件1份", "窗口受理审核", "即办", "不收费",
                 "社保窗口（12号）", "上午9:00—12:00"):
        assert part in guide
    notices = client.get("/kiosk/notices").text
    assert "国庆节" in notices and "沙石镇〇〇村" in notices
    notice = client.get(f"/kiosk/notices/{ids['notice']}").text
    assert "9月28日（星期日）" in notice
    catalog = client.get("/kiosk/catalog").text
    for column in ("公开依据", "公开时限", "公开主体", "公开渠道和载体", "公开对象", "公开方式",
                   "公开层级"):
        assert column in catalog
    assert "一级事项：社会保障" in catalog and "二级事项：养老保险" in catalog
    assert "政府网站、政务公开专区" in catalog


def test_elder_mode_is_a_server_side_preference(client: FlaskClient) -> None:
    refused = client.post("/kiosk/elder", data={"on": "1", "next": "/kiosk/catalog"})
    assert refused.status_code == 400  # no CSRF token: nothing changes
    assert 'class="elder"' not in client.get("/kiosk/").text
    token = token_in(client.get("/kiosk/").text)
    response = client.post("/kiosk/elder", data={"on": "1", "next": "/kiosk/catalog",
                                                 "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/kiosk/catalog"
    text = client.get("/kiosk/").text
    assert '<html lang="zh-CN" class="elder">' in text
    assert 'aria-pressed="true"' in text
    client.get("/kiosk/elder?on=0")
    assert 'class="elder"' not in client.get("/kiosk/").text
    assert client.get("/kiosk/elder?on=maybe").status_code == 400


def test_language_switch_and_safe_next(client: FlaskClient) -> None:
    response = client.get("/kiosk/lang/en?next=/kiosk/guides")
    assert response.headers["Location"] == "/kiosk/guides"
    assert '<html lang="en"' in client.get("/kiosk/").text
    for evil in ("http://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        response = client.get("/kiosk/lang/zh_CN", query_string={"next": evil})
        assert response.headers["Location"] == "/kiosk/", evil
    assert client.get("/kiosk/lang/fr").status_code == 404
    assert '<html lang="zh-CN"' in client.get("/kiosk/").text


def test_reset_forgets_the_last_person(client: FlaskClient) -> None:
    client.post("/kiosk/elder",
                data={"on": "1", "csrf_token": token_in(client.get("/kiosk/").text)})
    client.get("/kiosk/lang/en")
    assert '<html lang="en" class="elder">' in client.get("/kiosk/").text
    response = client.get("/kiosk/reset")
    assert response.status_code == 302 and response.headers["Location"] == "/kiosk/"
    text = client.get("/kiosk/").text
    assert '<html lang="zh-CN">' in text
    assert 'data-idle-armed="0"' in text  # the untouched start screen does not count down


def test_idle_settings_reach_the_page(client: FlaskClient, app: Flask) -> None:
    app.config.update(KIOSK_IDLE_SECONDS=42, KIOSK_IDLE_WARNING_SECONDS=7)
    text = client.get("/kiosk/guides").text
    assert 'data-idle-seconds="42"' in text and 'data-idle-warning-seconds="7"' in text
    assert 'data-idle-armed="1"' in text and "还在使用吗？" in text and "我还在" in text


def test_error_page_is_standalone_and_styled(client: FlaskClient) -> None:
    response = client.get("/kiosk/policies/0")
    assert response.status_code == 404
    page = parse(response.data)
    assert "/static/hall/hall/base.css" in page.urls
    with client.get("/static/hall/hall/base.css") as css:
        assert css.status_code == 200 and b"--target: 60px" in css.data
    assert page.inline_scripts == 0 and page.styles == []


@pytest.mark.parametrize("query", ['"', "*", "(", "OR", "〔", "'", "\\", "%", "_", "社保 OR", "𠮷",
                                   "（）：", "\x00"])
def test_odd_queries_never_break_the_page(client: FlaskClient, ids: dict[str, int],
                                          query: str) -> None:
    response = client.get("/kiosk/search", query_string={"q": query})
    assert response.status_code in (200, 400), query
    assert "返回首页" in response.text or "政策查询" in response.text


def test_searches_and_reads_are_counted_for_the_dashboard(app: Flask,
                                                          client: FlaskClient) -> None:
    ids = make_sample_content()
    today = local_today()
    client.get("/kiosk/search", query_string={"q": "信息公开"})
    client.get("/kiosk/search", query_string={"q": "信息公开", "page": 2})  # paging: not again
    client.get("/kiosk/search", query_string={"q": "𠮷无此词（试行）"})
    client.get("/api/search", query_string={"q": "信"})  # live typing is not a search
    client.get(f"/kiosk/policies/{ids['policy_social']}")
    assert usage.total(stats.SEARCHES, today, today) == 2
    assert usage.top_keys(stats.EMPTY_SEARCHES, today, today) == [("𠮷无此词（试行）", 1)]
    reads = usage.top_keys(stats.READS, today, today)
    assert len(reads) == 1 and reads[0][0].startswith(f"policy:{ids['policy_social']} ")


def test_search_start_offers_the_most_read_pages_and_the_categories(
        app: Flask, client: FlaskClient) -> None:
    ids = make_sample_content()
    start = client.get("/kiosk/search").text
    assert 'id="search-start">' in start and "按分类查找" in start
    assert "大家常看" not in start  # nothing read yet
    for _ in range(3):
        client.get(f"/kiosk/policies/{ids['policy_social']}")
    client.get(f"/kiosk/interpretations/{ids['interpretation_graphic']}")
    # The same policy under an older title, and a page that is gone: merged, and dropped.
    stats.record_read("policy", ids["policy_regulations"], "旧标题（试行）")
    stats.record_read("policy", ids["policy_regulations"], "中华人民共和国政府信息公开条例")
    stats.record_read("policy", ids["policy_regulations"], "旧标题（试行）")
    stats.record_read("policy", 999_999, "已删除的文件")
    text = client.get("/kiosk/search").text
    links = re.findall(r'class="popular-link" href="([^"]+)"', text)
    assert links == [f"/kiosk/policies/{ids['policy_social']}",
                     f"/kiosk/policies/{ids['policy_regulations']}",
                     f"/kiosk/interpretations/{ids['interpretation_graphic']}"]
    assert "旧标题" not in text and "已删除的文件" not in text
    assert f'/kiosk/categories/{ids["category_policy"]}"' in text
    searching = client.get("/kiosk/search", query_string={"q": "社保"}).text
    assert re.search(r'id="search-start" hidden', searching)
