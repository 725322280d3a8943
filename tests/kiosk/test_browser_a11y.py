"""Every kiosk page in real Chromium, normal and elder mode: no axe-core WCAG 2.x A/AA
violation, no touch target under 48 px (60 px in elder mode), no console error, no request
to another host."""

from __future__ import annotations

from typing import Any

import pytest

from tests.kiosk.browser import (
    assert_clean,
    describe_violations,
    kiosk_page,
    run_axe,
    small_targets,
)
from tests.kiosk.fixtures import make_sample_content

pytestmark = pytest.mark.browser

# (name, path with {ids} placeholders, expected HTTP status)
PAGES = [
    ("start", "/kiosk/", 200),
    ("search", "/kiosk/search?q=社保", 200),
    ("search-start", "/kiosk/search", 200),
    ("categories", "/kiosk/categories", 200),
    ("category-top", "/kiosk/categories/{category_policy}", 200),
    ("category-leaf", "/kiosk/categories/{category_pension}", 200),
    ("article", "/kiosk/policies/{policy_regulations}", 200),
    ("article-rare", "/kiosk/policies/{policy_social}", 200),
    ("interpretations", "/kiosk/interpretations", 200),
    ("interpretation", "/kiosk/interpretations/{interpretation_graphic}", 200),
    ("guides", "/kiosk/guides", 200),
    ("guide", "/kiosk/guides/{guide}", 200),
    ("notices", "/kiosk/notices", 200),
    ("notice", "/kiosk/notices/{notice}", 200),
    ("catalog", "/kiosk/catalog", 200),
    ("not-found", "/kiosk/policies/987654", 404),
]


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
@pytest.mark.parametrize(("name", "path", "status"), PAGES, ids=[p[0] for p in PAGES])
def test_page_is_accessible(
    live_server: Any, browser: Any, name: str, path: str, status: int, elder: bool
) -> None:
    ids = make_sample_content()
    url = live_server.url + path.format(**ids)
    min_px = 60 if elder else 48
    with kiosk_page(browser, elder=elder, base_url=live_server.url) as page:
        response = page.goto(url)
        assert response is not None and response.status == status, f"{name}: HTTP status"
        page.wait_for_load_state("networkidle")
        if elder:
            assert page.evaluate("document.documentElement.classList.contains('elder')")
        failures = []
        violations = run_axe(page)
        if violations:
            failures.append("axe violations:\n" + describe_violations(violations))
        small = small_targets(page, min_px)
        if small:
            failures.append(f"targets under {min_px} px:\n" + "\n".join(
                f"    <{t['tag']} id={t['id']!r} class={t['cls']!r}> {t['text']!r}: "
                f"{t['width']}×{t['height']}" for t in small))
        try:
            assert_clean(page)
        except AssertionError as error:
            failures.append(str(error))
        assert not failures, f"{name} ({'elder' if elder else 'normal'}):\n" + "\n".join(failures)


def test_the_checkers_really_find_problems(live_server: Any, browser: Any) -> None:
    """The checks themselves work: an unlabelled button, a tiny link, a script error and a
    request to another host are all caught (so a passing page test means something)."""
    with kiosk_page(browser) as page:
        page.goto(live_server.url + "/kiosk/")
        page.set_content(
            "<html><body><button></button><a href='/x'>x</a>"
            "<p>正文中的<a href='/y'>内联链接</a>可以小。</p>"
            "<img alt='' src='http://outside.invalid/tracker.png'></body></html>"
        )
        ids = {v["id"] for v in run_axe(page)}
        assert {"button-name", "html-has-lang"} <= ids
        small = small_targets(page, 48)
        assert [t["tag"] for t in small] == ["button", "a"]
        assert small[1]["text"] == "x"
        page.evaluate("setTimeout(() => { throw new Error('故意的错误'); }, 0)")
        page.wait_for_timeout(300)
        with pytest.raises(AssertionError) as caught:
            assert_clean(page)
        assert "request to another host: http://outside.invalid/tracker.png" in str(caught.value)
        assert "故意的错误" in str(caught.value)
