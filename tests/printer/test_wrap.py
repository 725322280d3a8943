"""Display width and line breaking on the printer's cell grid."""

from __future__ import annotations

import random

import pytest

from printer.layout import TextRow, layout
from printer.profile import PrinterProfile
from printer.slip import Align, Slip, Text
from printer.wrap import NO_START, can_break, clean, text_cols, wrap


def test_columns_count_chinese_as_two() -> None:
    assert text_cols("A023") == 4
    assert text_cols("中文") == 4
    assert text_cols("：（）") == 6
    assert text_cols("𠮷〇") == 4
    assert text_cols("取号 A1") == 7


def test_no_break_inside_numbers_and_words() -> None:
    lines = wrap("取号时间：2024-05-01 09:30", 16)
    assert lines == ["取号时间：", "2024-05-01 09:30"]
    lines = wrap("请访问 https://hall.example/p/1 查看详情", 32)
    assert lines == ["请访问 https://hall.example/p/1", "查看详情"]
    assert wrap("您前面还有 123 人等候", 12) == ["您前面还有", "123 人等候"]


def test_a_word_longer_than_the_line_is_broken() -> None:
    lines = wrap("x" * 50, 16)
    assert lines == ["x" * 16, "x" * 16, "x" * 16, "x" * 2]


def test_no_line_starts_with_closing_punctuation() -> None:
    assert wrap("一二三四五六七，八九", 14) == ["一二三四五六", "七，八九"]
    assert wrap("一二三四五六（七八九", 14) == ["一二三四五六", "（七八九"]
    assert wrap("一二三四五六七。」", 14) == ["一二三四五六", "七。」"]


def test_random_text_breaks_only_where_allowed() -> None:
    rng = random.Random(4)
    pool = list("政府信息公开申请办理") + list("，。、；：？！）】》…") + list("（【《“") + [
        "A", "0", "9", "-", "𠮷", "〇"]
    for _ in range(500):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 90)))
        width = rng.choice([16, 24, 32, 48])
        lines = wrap(text, width)
        assert "".join(lines) == text
        assert all(0 < text_cols(line) <= width for line in lines)
        start = 0
        for line in lines[:-1]:
            end = start + len(line)
            allowed_earlier = any(can_break(text, j) for j in range(start + 1, end + 1))
            # a break breaks the rules only when the line offered no allowed place at all
            assert can_break(text, end) or not allowed_earlier
            assert not (text[end] in NO_START and can_break(text, end))
            start = end


def test_newlines_and_controls() -> None:
    assert wrap("第一行\n第二行", 32) == ["第一行", "第二行"]
    assert clean("a\tb\x1b@c\u200bd\u3000e") == "a b@cd e"


def test_centred_title_is_balanced() -> None:
    rows = layout(Slip(title="某某县政务服务中心"), PrinterProfile.for_paper(58))
    texts = [r.text for r in rows if isinstance(r, TextRow) and r.text]
    assert texts == ["某某县政务", "服务中心"]


@pytest.mark.parametrize("width", [58, 80])
def test_layout_rows_fit_the_paper(width: int) -> None:
    prof = PrinterProfile.for_paper(width)
    slip = Slip(title="标题" * 20, body=(Text("正文，" * 60), Text("x" * 100, Align.RIGHT),
                                       Text("倍大" * 30, double=True)))
    for row in layout(slip, prof):
        if isinstance(row, TextRow):
            assert row.dots <= prof.width_dots
