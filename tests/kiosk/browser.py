"""Shared helpers for the kiosk's real-Chromium tests: a touch-screen page that records every
console error, failed request and request to another host; axe-core (vendored, injected only
in tests); and a measure of touch targets that are too small."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from kiosk import speech

AXE_JS = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LOCAL_HOSTS = {"127.0.0.1"}
TARGETS = (
    "button, a[href], input:not([type=hidden]), select, textarea, summary, [role=button]"
)


def ensure_speech(app: Flask) -> None:
    """Register the read-aloud blueprint if ``kiosk/__init__.py`` does not wire it (yet)."""
    if "kiosk_speech" not in app.blueprints:
        speech.init_app(app)


@dataclass
class Problems:
    """What went wrong in one page's life, checked by :func:`assert_clean`."""

    console: list[tuple[str, str]] = field(default_factory=list)  # (text, source url)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    bad_status: list[str] = field(default_factory=list)
    documents: set[str] = field(default_factory=set)

    def all(self) -> list[str]:
        console = [
            f"{text} (at {url or '?'})"
            for text, url in self.console
            if not _expected_document_error(text, url, self)
        ]
        return [
            *(f"console error: {c}" for c in console),
            *(f"page error: {e}" for e in self.page_errors),
            *(f"request failed: {f}" for f in self.failed),
            *(f"request to another host: {o}" for o in self.outside),
            *(f"subresource HTTP error: {b}" for b in self.bad_status),
        ]


def _expected_document_error(text: str, url: str, problems: Problems) -> bool:
    """Chromium logs "Failed to load resource" for a page served with 404; the test that
    opens an error page on purpose checks that status itself."""
    return text.startswith("Failed to load resource") and url in problems.documents


_problems: weakref.WeakKeyDictionary[Any, Problems] = weakref.WeakKeyDictionary()


def problems_of(page: Any) -> Problems:
    return _problems[page]


def _watch(page: Any) -> Problems:
    problems = Problems()

    def on_console(message: Any) -> None:
        if message.type == "error":
            url = (message.location or {}).get("url", "")
            problems.console.append((message.text, url))

    def on_request(request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.hostname not in LOCAL_HOSTS:
            problems.outside.append(request.url)
        if request.is_navigation_request():
            problems.documents.add(request.url)

    def on_response(response: Any) -> None:
        if response.status >= 400 and not response.request.is_navigation_request():
            problems.bad_status.append(f"{response.status} {response.url}")

    def on_failed(request: Any) -> None:
        failure = request.failure or ""
        # A navigation away (or a stopped read-aloud) aborts what is in flight: not a fault.
        if "ERR_ABORTED" in failure:
            return
        problems.failed.append(f"{request.method} {request.url}: {failure}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    page.on("request", on_request)
    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    return problems


def new_kiosk_page(
    browser: Any,
    *,
    viewport: tuple[int, int] = (1080, 1920),
    elder: bool = False,
    base_url: str | None = None,
) -> Any:
    """A new touch-only context and page at the kiosk's portrait size.

    ``bypass_csp`` lets :func:`run_axe` inject axe-core; the pages' own CSP is tested by the
    Flask-client tests. With ``elder=True`` (needs ``base_url``) elder mode is switched on
    the way a citizen would, through ``/kiosk/elder``. Close with ``page.context.close()``.
    """
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]},
        has_touch=True,
        bypass_csp=True,
        locale="zh-CN",
        device_scale_factor=1,
    )
    page = context.new_page()
    _problems[page] = _watch(page)
    if elder:
        if not base_url:
            raise ValueError("elder=True needs base_url")
        set_elder(page, base_url)
    return page


def set_elder(page: Any, base_url: str, on: bool = True) -> None:
    """Switch elder mode through the kiosk's own route (GET with redirect, else POST)."""
    flag = "1" if on else "0"
    response = page.goto(f"{base_url}/kiosk/elder?on={flag}")
    if response is None or response.status >= 400:
        page.goto(f"{base_url}/kiosk/")
        token = page.get_attribute('meta[name="csrf-token"]', "content") or ""
        posted = page.context.request.post(f"{base_url}/kiosk/elder", form={"on": flag},
                                           headers={"X-CSRFToken": token})
        assert posted.ok, f"POST /kiosk/elder failed: {posted.status}"
        _problems[page].bad_status.clear()
    page.goto(f"{base_url}/kiosk/")
    is_elder = page.evaluate("document.documentElement.classList.contains('elder')")
    assert is_elder == on, "elder mode did not switch"


@contextmanager
def kiosk_page(browser: Any, **kwargs: Any) -> Iterator[Any]:
    """:func:`new_kiosk_page` that closes its context afterwards."""
    page = new_kiosk_page(browser, **kwargs)
    try:
        yield page
    finally:
        page.context.close()


def run_axe(page: Any, *, tags: list[str] | None = None) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.0/2.1/2.2 A and AA violations on the current page."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '),
                                          summary: n.failureSummary})),
            }));
        }""",
        tags or WCAG_TAGS,
    )
    return result


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['summary']}")
    return "\n".join(lines)


SMALL_TARGETS_JS = """([selector, minPx]) => {
    const vw = document.documentElement.clientWidth;
    const inlineInText = (el) => {
        if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
        if (el.closest('#article-body, .article-body')) return true;
        const block = el.parentElement && el.parentElement.closest('p, li, dd, td');
        if (!block) return false;
        const text = block.textContent.replace(el.textContent, '').trim();
        return text.length > 0;
    };
    const out = [];
    for (const el of document.querySelectorAll(selector)) {
        if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
        const r = el.getBoundingClientRect();
        if (r.width <= 1 && r.height <= 1) continue;       // visually-hidden helper
        if (r.right <= 0 || r.left >= vw) continue;        // parked off-screen (skip link)
        if (inlineInText(el)) continue;                    // WCAG 2.5.8 inline exception
        if (r.width < minPx || r.height < minPx) {
            out.push({tag: el.tagName.toLowerCase(), id: el.id,
                      cls: el.className && String(el.className),
                      text: (el.textContent || el.value || el.getAttribute('aria-label') || '')
                            .trim().slice(0, 30),
                      width: Math.round(r.width * 10) / 10,
                      height: Math.round(r.height * 10) / 10});
        }
    }
    return out;
}"""


def small_targets(page: Any, min_px: int) -> list[dict[str, Any]]:
    """Every visible button, link, input, select and ``[role=button]`` narrower or lower than
    ``min_px`` (inline links inside running text are exempt, as in WCAG 2.5.8)."""
    result: list[dict[str, Any]] = page.evaluate(SMALL_TARGETS_JS, [TARGETS, min_px])
    return result


def assert_clean(page: Any) -> None:
    """No console error, no uncaught exception, no failed or outside request so far."""
    found = problems_of(page).all()
    assert not found, "\n".join(found)
