"""``gongkai content import`` / ``export`` on real files through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from content.models import Agency, Policy
from hall.extensions import db

DATA = Path(__file__).parent / "data"


def policy_count() -> int:
    db.session.rollback()  # see what the command's own session committed
    return db.session.scalar(select(func.count()).select_from(Policy)) or 0


def test_import_json_bundle(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["content", "import", str(DATA / "bundle_good.json")])
    assert result.exit_code == 0, result.output
    assert "导入完成：新增 发布机构 4 条" in result.output
    assert "ogi-2019.pdf" in result.output  # the missing media file is warned about
    assert policy_count() == 2


def test_import_csv_with_bom_then_rejected_csv_changes_nothing(
        app: Flask, runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["content", "import", str(DATA / "bundle_good.json")]).exit_code == 0
    result = runner.invoke(args=["content", "import", str(DATA / "policies_good.csv"),
                                 "--section", "policies"])
    assert result.exit_code == 0, result.output
    assert "新增 政策文件 2 条" in result.output
    assert policy_count() == 4
    village = db.session.scalar(select(Policy).where(Policy.doc_number == "章府办字〔2026〕2号"))
    assert village.title == "关于吉𠮷村公示栏改造的通知"
    assert village.summary == "村务公开栏〔电子屏〕改造，〇成本。"
    points = db.session.scalar(select(Policy).where(Policy.doc_number == "章府办字〔2026〕1号"))
    assert "<script>" not in points.body_html and "一、总体要求" in points.body_html

    result = runner.invoke(args=["content", "import", str(DATA / "policies_bad.csv"),
                                 "--section", "policies"])
    assert result.exit_code == 1
    assert "导入被拒绝：发现 2 处错误，未写入任何数据。" in result.output
    assert ("〔政策文件〕第 2 行：发布日期“2026-02-30”不是有效日期（应为 YYYY-MM-DD）"
            in result.output)
    assert "第 3 行：效力状态“作废”不是可选值" in result.output
    assert "第 1 行" not in result.output  # row 1 is good (it would update the existing policy)
    assert policy_count() == 4


def test_dry_run_writes_nothing(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["content", "import", str(DATA / "bundle_good.json"),
                                 "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "试导入（未写入）" in result.output and "新增 政策文件 2 条" in result.output
    assert policy_count() == 0
    assert db.session.scalar(select(func.count()).select_from(Agency)) == 0


def test_truncated_and_garbage_files_exit_1(app: Flask, runner: FlaskCliRunner,
                                            tmp_path: Path) -> None:
    whole = (DATA / "bundle_good.json").read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(whole[: len(whole) // 2])
    result = runner.invoke(args=["content", "import", str(cut)])
    assert result.exit_code == 1 and "文件不是有效的 JSON（第" in result.output
    assert "Traceback" not in result.output
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)))
    result = runner.invoke(args=["content", "import", str(junk), "--section", "notices"])
    assert result.exit_code == 1 and "不是 UTF-8 编码" in result.output
    result = runner.invoke(args=["content", "import", str(DATA / "policies_good.csv")])
    assert result.exit_code == 1 and "--section" in result.output
    result = runner.invoke(args=["content", "import", str(tmp_path / "absent.json")])
    assert result.exit_code == 1 and "无法读取文件“absent.json”" in result.output
    assert policy_count() == 0


def test_export_json_and_csv(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    assert runner.invoke(args=["content", "import", str(DATA / "bundle_good.json")]).exit_code == 0
    out = tmp_path / "all.json"
    result = runner.invoke(args=["content", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert "已导出 18 条" in result.output
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert bundle["format"] == "gongkai-content" and len(bundle["policies"]) == 2
    assert "吉𠮷村" in out.read_text(encoding="utf-8")  # not \\u escapes

    notices = tmp_path / "notices.csv"
    result = runner.invoke(args=["content", "export", str(notices), "--section", "notices"])
    assert result.exit_code == 0, result.output
    raw = notices.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "关于国庆节期间政务服务中心办公时间调整的通知" in raw.decode("utf-8-sig")

    result = runner.invoke(args=["content", "export", str(tmp_path / "x.csv")])
    assert result.exit_code == 2 and "--section" in result.output
    result = runner.invoke(args=["content", "export", str(out), "--section", "policies",
                                 "--section", "agencies"])
    assert result.exit_code == 0
    assert set(json.loads(out.read_text(encoding="utf-8"))) == {
        "format", "version", "agencies", "policies"}

    again = runner.invoke(args=["content", "import", str(tmp_path / "all.json")])
    assert again.exit_code == 0 and "更新 政策文件 2 条" in again.output
    assert policy_count() == 2
