"""A replaced policy in real Chromium: the notice naming its replacement passes axe-core, is
a large enough touch target (48 px, 60 px in elder mode) and a tap opens the new policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from content.models import Policy, Validity
from content.services import agency_named, apply_fields, save
from hall.extensions import db
from tests.kiosk.browser import (
    assert_clean,
    describe_violations,
    kiosk_page,
    run_axe,
    small_targets,
)
from tests.kiosk.fixtures import make_sample_content

pytestmark = pytest.mark.browser

NEW_TITLE = "章贡区城乡居民基本养老保险实施办法"


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_replaced_by_notice_is_accessible_and_opens_the_new_policy(
        live_server: Any, browser: Any, elder: bool) -> None:
    ids = make_sample_content()
    new = save(apply_fields(Policy(), {
        "title": NEW_TITLE, "doc_number": "章府发〔2025〕1号",
        "issuer": agency_named("赣州市章贡区人力资源和社会保障局"),
        "issued_on": dt.date(2025, 1, 1), "validity": Validity.VALID,
        "body_html": "<p>第一条　为完善城乡居民基本养老保险制度，制定本办法。</p>",
    }))
    old = db.session.get(Policy, ids["policy_repealed"])
    old.replaced_by = new
    save(old)
    min_px = 60 if elder else 48
    with kiosk_page(browser, elder=elder, base_url=live_server.url) as page:
        page.goto(f"{live_server.url}/kiosk/policies/{old.id}")
        page.wait_for_load_state("networkidle")
        link = page.get_by_role("link", name=f"本文件已被《{NEW_TITLE}》替代", exact=False)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None and box["height"] >= min_px and box["width"] >= min_px
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        assert small_targets(page, min_px) == []
        link.tap()
        page.wait_for_url(f"**/kiosk/policies/{new.id}")
        expect(page.get_by_role("heading", level=1)).to_have_text(NEW_TITLE)
        assert_clean(page)
