"""Chinese is the source language; the English catalog must translate every message."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import force_locale, gettext

ROOT = Path(__file__).resolve().parents[2]


def _methods() -> list[tuple[str, str]]:
    """The extraction map of ``babel.cfg`` itself, so the test checks what ``make i18n``
    extracts and a new package cannot be missed by one and not the other."""
    methods = []
    for line in (ROOT / "babel.cfg").read_text().splitlines():
        line = line.strip()
        if line.startswith("[") and ":" in line:
            method, pattern = line.strip("[]").split(":", 1)
            methods.append((pattern.strip(), method.strip()))
    return methods


METHODS = _methods()


def _source_messages() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords={"_": None, "gettext": None, "_l": None,
                                       "ngettext": (1, 2), "lazy_gettext": None},
        callback=None,
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return {m for m in found if m}


def test_english_catalog_is_complete() -> None:
    with (ROOT / "hall/translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    missing = sorted(
        m for m in _source_messages()
        if not (catalog.get(m) and catalog.get(m).string and not catalog.get(m).fuzzy)
    )
    assert not missing, f"untranslated in en (run `make i18n`, then translate): {missing[:20]}"


def test_english_is_served_when_chosen(app: Flask) -> None:
    with force_locale("en"):
        english = gettext("没有找到这个页面，它可能已被移除。")
    with force_locale("zh_CN"):
        chinese = gettext("没有找到这个页面，它可能已被移除。")
    assert chinese == "没有找到这个页面，它可能已被移除。"
    assert english != chinese and english.isascii()
