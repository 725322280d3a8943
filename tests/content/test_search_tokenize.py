"""The pure tokenizer and pinyin conversion (no database)."""

from __future__ import annotations

import unicodedata

from content.search.index import tsvector_literal
from content.search.pinyin import (
    index_columns,
    query_alternatives,
    segment,
    syllables,
    title_marks,
)
from content.search.query import parse, tsquery_literal
from content.search.tokenize import (
    Term,
    facet_tokens,
    index_tokens,
    normalise,
    phrase_terms,
    query_parts,
    runs,
)


def test_cjk_runs_become_bigrams_plus_last_character() -> None:
    assert index_tokens("政府信息公开") == ["政府", "府信", "信息", "息公", "公开", "开"]


def test_punctuation_and_latin_split_runs() -> None:
    assert index_tokens("赣府发〔2022〕12号") == ["赣府", "府发", "发", "2022", "12", "号"]
    assert index_tokens("ＧＤＰ增长：Ａ级") == ["gdp", "增长", "长", "a", "级"]


def test_rare_characters_are_cjk() -> None:
    assert index_tokens("𠮷野家〇号") == ["𠮷野", "野家", "家〇", "〇号", "号"]


def test_query_phrase_drops_last_unigram_and_keeps_inner_ones() -> None:
    assert [t.token for t in phrase_terms(runs("政府信息"))] == ["政府", "府信", "信息"]
    terms = phrase_terms(runs("国务院令第711号"))
    assert [t.token for t in terms] == ["国务", "务院", "院令", "令第", "第", "711", "号"]
    assert terms[-1].prefix and not terms[4].prefix


def test_one_character_query_is_a_prefix() -> None:
    assert phrase_terms(runs("税")) == [Term("税", prefix=True)]


def test_query_parts_split_on_whitespace_and_drop_punctuation_only() -> None:
    assert query_parts("社保　 执照 ：（）") == ["社保", "执照"]
    assert parse('" * ( ) : ^ -- ;').empty


def test_pinyin_columns_for_index() -> None:
    full, initials = index_columns("政府信息公开")
    assert full == "zheng fu xin xi gong kai"
    assert initials.split() == ["zf", "fx", "xx", "xg", "gk", "k"]


def test_polyphone_read_in_context() -> None:
    assert index_columns("银行")[0] == "yin hang"


def test_segment_full_pinyin() -> None:
    assert [t.token for t in segment("zhengfuxinxi") or []] == ["zheng", "fu", "xin", "xi"]
    assert [t.token for t in segment("xian") or []] == ["xian"]
    assert segment("zfxxgk") is None
    typing = segment("zhengfux") or []
    assert typing[-1] == Term("x", prefix=True)


def test_query_alternatives_initials_full_and_mixed() -> None:
    initials, full = query_alternatives("zfxxgk")
    assert [t.token for t in initials or []] == ["zf", "fx", "xx", "xg", "gk"]
    assert full is None
    initials, full = query_alternatives("zf信息")
    assert [t.token for t in initials or []] == ["zf", "fx", "xx"]
    _, full = query_alternatives("zhengfu信息")
    assert [t.token for t in full or []] == ["zheng", "fu", "xin", "xi"]
    assert query_alternatives("信息") == (None, None)
    assert query_alternatives("2022") == (None, None)


def test_title_marks_for_pinyin_hits() -> None:
    initials, full = query_alternatives("zfxxgk")
    assert title_marks("关于政府信息公开的通知", initials, full) == [(2, 8)]
    initials, full = query_alternatives("zhengfuxin")
    assert (2, 5) in title_marks("关于政府信息公开的通知", initials, full)
    initials, full = query_alternatives("zhengfux")  # still typing: x… is a prefix
    assert (2, 5) in title_marks("关于政府信息公开的通知", initials, full)


def test_tsquery_literal_quotes_every_token() -> None:
    assert tsquery_literal([Term("政府"), Term("号", prefix=True)]) == "'政府' <-> '号':*"
    assert tsquery_literal([Term("a'b")]) == "'a''b'"


def test_tsvector_literal_keeps_positions_and_gaps_between_fields() -> None:
    assert tsvector_literal(["政府", "府信"], ["政府"]) == "'政府':1,13 '府信':2"
    assert tsvector_literal(["a'b"]) == "'a''b':1"


def test_normalise_agrees_with_nfkc_on_mixed_text() -> None:
    # The fast path maps full-width forms itself; it must give exactly what NFKC gives.
    samples = ["关于做好２０２２年ＧＤＰ统计工作的通知（试行）……", "〔２０２２〕１２号　第Ⅳ条",
               "ｶﾀｶﾅ ﬁle ①② ㈠ Å", "𠮷野家〇号：（）〔〕", "Ａ\u0301ｂｃ", ""]
    for text in samples:
        assert normalise(text) == unicodedata.normalize("NFKC", text).lower()


def test_index_tokens_match_the_plain_definition() -> None:
    def reference(text: str) -> list[str]:
        out: list[str] = []
        for is_cjk, run in runs(normalise(text)):
            out.extend([run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]
                       if is_cjk else [run])
        return out

    text = "国务院令第711号：《政府信息公开条例》第十条，〔2019〕3号；一 二三 ab12 𠮷"
    assert index_tokens(text) == reference(text)
    assert index_tokens("") == [] and index_tokens("：，") == []
    assert index_tokens("政") == ["政"]


def test_syllables_are_cached_but_stay_right() -> None:
    assert syllables("银行") == ("yin", "hang")
    assert syllables("银行") == ("yin", "hang")
    assert syllables("𠮷") == ("",) or syllables("𠮷")[0].isalpha()


def test_facet_tokens_one_per_filter_value() -> None:
    entry = {"kind": "policy", "issuer_id": 3, "category_id": 12, "category_root_id": 10,
             "year": 2022, "validity": "有效"}
    assert facet_tokens(entry) == "kpolicy i3 c12 c10 y2022 v有效"
    # A 一级 category is its own root (one token); missing values add none.
    assert facet_tokens({"kind": "guide", "issuer_id": None, "category_id": 4,
                         "category_root_id": 4, "year": None, "validity": None}) == "kguide c4"
