"""Staff-written Markdown to safe HTML: CommonMark with tables, raw HTML allowed in the
source, and the result always passed through the nh3 allow-list of ``content.sanitize``."""

from __future__ import annotations

from markdown_it import MarkdownIt

from content.sanitize import clean_html

_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")


def render(md: str) -> str:
    """The sanitized HTML of Markdown source ``md`` (raw HTML in it is cleaned, not dropped)."""
    return clean_html(_PARSER.render(md or ""))


def editable_source(body_md: str, body_html: str) -> str:
    """What the editor starts from: the Markdown, or for a record imported as HTML (no
    Markdown yet) its HTML, which is valid Markdown source as it stands."""
    return body_md if body_md.strip() else body_html
