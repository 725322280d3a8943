"""Clean staff- and import-supplied HTML with nh3 before it is stored."""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "ul", "ol", "li",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "a", "img", "figure",
    "figcaption", "span", "div", "section",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class"},
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[ \t\r\f\v]+")


def clean_html(html: str) -> str:
    """Allow-list sanitisation: no scripts, no event handlers, no javascript: links, no styles."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )


def plain_text(fragment: str) -> str:
    """Text of an HTML fragment for search and snippets (block ends become line breaks)."""
    text = re.sub(r"</(p|h[2-4]|li|tr|div|section|blockquote)>|<br\s*/?>", "\n", fragment)
    text = nh3.clean(text, tags=set())
    text = _TAG.sub("", text)
    text = html.unescape(text)
    lines = (_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
