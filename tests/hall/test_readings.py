"""hall/readings.py: pypinyin's readings from a compact table, the same as pypinyin's own
(heteronyms 银行 行长 重庆 长大, rare characters 𠮷 〇), built once in a child process, and no
pypinyin in a server process that searches, types on the keyboard and reads aloud."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

from content.search.pinyin import plain, syllables
from hall import readings as readings_module
from hall.readings import readings

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [
    "银行行长在重庆长大", "行长", "重庆市人民政府关于长江大保护的通知", "𠮷野家", "〇",
    "二〇二四年",
    "政府信息公开条例（2019年修订）", "章贡区政务服务中心", "国办发〔2019〕15号", "abc银行123x",
    "𠮷", "了解了", "朝阳区长大了", "的地得", "乐曲很快乐", "", "ｘ中ｙ",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_lazy_pinyin_is_pypinyins(text: str) -> None:
    table = readings()
    assert table.lazy_pinyin(text, "tone3", errors="ignore") == lazy_pinyin(
        text, style=Style.TONE3, neutral_tone_with_five=True, errors="ignore")
    assert table.lazy_pinyin(text, "first_letter") == lazy_pinyin(text,
                                                                  style=Style.FIRST_LETTER)


def test_characters_and_phrases_are_pypinyins() -> None:
    table = readings()
    for ch in "行长重庆银大乐〇𠮷了的a，":
        assert table.char(ch) == PINYIN_DICT.get(ord(ch)), ch
    for phrase in ("银行", "行长", "重庆", "长大", "政府信息", "不存在的词语吧"):
        assert table.phrase(phrase) == PHRASES_DICT.get(phrase), phrase
    assert table.char("𠮷") is None and table.char("〇") == PINYIN_DICT[ord("〇")]
    assert sum(1 for _ in table.char_readings()) == len(PINYIN_DICT)


def _old_syllables(run: str) -> tuple[str, ...]:
    """content.search.pinyin.syllables as it was, straight on pypinyin's dicts."""
    out: list[str] = []
    i = 0
    while i < len(run):
        for size in range(min(6, len(run) - i), 1, -1):
            phrase = PHRASES_DICT.get(run[i : i + size])
            if phrase is not None:
                out.extend(plain(p[0]) for p in phrase)
                i += size
                break
        else:
            found = PINYIN_DICT.get(ord(run[i]))
            out.append(plain(found.split(",")[0]) if found else "")
            i += 1
    return tuple(out)


@pytest.mark.parametrize("run", ["银行行长在重庆长大", "𠮷野家〇号", "重庆市长江大桥", "人民银行"])
def test_search_syllables_are_unchanged(run: str) -> None:
    assert syllables(run) == _old_syllables(run)


def test_the_table_is_built_once_in_a_child_process(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONGKAI_CACHE_DIR", str(tmp_path))
    folder = readings_module.ensure_built(tmp_path / readings_module.table_name())
    made = (folder / "meta.json").stat().st_mtime_ns
    assert readings_module.ensure_built(folder) == folder
    assert (folder / "meta.json").stat().st_mtime_ns == made
    table = readings_module.Readings(folder)
    assert table.lazy_pinyin("银行行长", "tone3") == ["yin2", "hang2", "hang2", "zhang3"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".readings-")] == []


def test_a_server_process_holds_no_pypinyin() -> None:
    """The 54 MB stay out: search, the keyboard, read-aloud and backup names use the table."""
    code = """if True:
        import sys
        from hall.app import create_app
        app = create_app({"SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        from content.search.pinyin import index_columns, query_alternatives
        from hall.backup import hall_slug
        from kiosk import ime
        from kiosk.speech import pinyin_script
        assert index_columns("银行行长")[0] == "yin hang hang zhang"
        assert query_alternatives("zfxx")[0]
        assert pinyin_script("行长。") == "hang2 zhang3."
        assert hall_slug(app) == "zgqzwfwzx"
        index = ime.ready_index(120)
        assert index is not None and ime.lookup(index, "zfxxgk").candidates
        assert "pypinyin" not in sys.modules, "pypinyin was imported"
    """
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
