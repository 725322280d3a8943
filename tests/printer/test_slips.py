"""Every slip type, 58 and 80 mm, text and raster mode: bytes decode back to what was meant."""

from __future__ import annotations

import pytest

from printer import slip as slips
from printer.decode import Cut, Decoded, QrCode, Raster, TextLine, Unknown, decode
from printer.escpos import CHINESE_ON, slip_bytes
from printer.layout import QrRow, TextRow, layout
from printer.raster import centred, glyph, has_glyph, ink_count, qr_image, row_image
from tests.printer.support import QR_OF, SLIPS, profile

EXPECTED = {
    "ticket": ["某某县政务服务中心", "社保医保综合窗口", "A023", "您前面还有3人等候",
               "取号时间：2024-05-0109:30", "扫码查看排队进度", "请留意叫号，过号请重新取号"],
    "receipt": ["政府信息公开申请回执", "申请编号：GK20240501-0007", "收到日期：2024年5月1日",
                "答复期限：2024年5月30日前", "联系电话：138****5678",
                "证件号码：3301**********1234", "扫码查询办理进度"],
    "policy": ["政策文件", "某某县人民政府关于进一步优化营商环境的若干措施", "某政发〔2024〕12号",
               "发布机关：某某县人民政府", "（详见附件）", "措施：一是", "〇跑腿服务。"],
    "test": ["打印测试页", "中文：政府信息公开申请（依申请公开）",
             "标点：，。、；：？！“”（）《》【】…—", "ASCII:ABCabc0123456789#%&",
             "加粗：办理进度查询", "倍大", "居右right", "A001"],
}
CASES = [(name, width, mode) for name in SLIPS for width in (58, 80) for mode in ("text", "raster")]


def flat(decoded: Decoded) -> str:
    """All decoded text, line breaks and spaces removed (wrapping moves them)."""
    return "".join(decoded.text.split())


@pytest.mark.parametrize(("name", "width", "mode"), CASES)
def test_slip_decodes_back(name: str, width: int, mode: str) -> None:
    prof = profile(width, mode)
    slip = SLIPS[name]()
    data = slip_bytes(slip, prof)
    decoded = decode(data)

    assert not [e for e in decoded.elements if isinstance(e, Unknown)]
    assert isinstance(decoded.elements[-1], Cut) and len(decoded.cuts) == 1
    for element in decoded.elements:
        if isinstance(element, TextLine):
            assert element.dots <= prof.width_dots
            assert sum(run.cell * run.width * len(run.text) for run in element.runs) \
                <= prof.columns
        if isinstance(element, Raster):
            assert element.width <= prof.width_dots and element.ink > 0

    rows = layout(slip, prof)
    if mode == "text":
        assert data.startswith(b"\x1b@\x1b!\x00" + CHINESE_ON)
        text = flat(decoded)
        for expected in EXPECTED[name]:
            assert expected in text
        assert "?" not in decoded.text and "\ufffd" not in decoded.text
        assert [q.text for q in decoded.qr_codes] == [QR_OF[name]]
        assert decoded.qr_codes[0].ec == "M" and decoded.qr_codes[0].module == prof.qr_module
        assert decoded.qr_codes[0].align == "center"
    else:
        assert CHINESE_ON not in data and not decoded.lines and not decoded.qr_codes
        expected_images = []
        for row in rows:
            if isinstance(row, TextRow) and row.text.strip():
                expected_images.append(row_image(
                    row.text, prof.width_dots, align=row.align.value, bold=row.bold,
                    scale=row.scale, height=row.pitch).tobytes())
            elif isinstance(row, QrRow):
                symbol = qr_image(row.payload.encode(), row.module)
                expected_images.append(centred(symbol, prof.width_dots).tobytes())
        assert [r.image().tobytes() for r in decoded.rasters] == expected_images
        assert all(r.width == prof.width_dots for r in decoded.rasters)


@pytest.mark.parametrize("width", [58, 80])
def test_rare_character_goes_as_image_and_the_rest_stays_text(width: int) -> None:
    prof = profile(width, "text")
    decoded = decode(slip_bytes(slips.test_slip(), prof))
    assert "𠮷" not in decoded.text and "生僻字" not in decoded.text
    assert "中文：政府信息公开申请（依申请公" in decoded.text
    rare_rows = [r for r in layout(slips.test_slip(), prof)
                 if isinstance(r, TextRow) and "𠮷" in r.text]
    assert len(rare_rows) == 1 and rare_rows[0].raster
    assert len(decoded.rasters) == 1
    image = decoded.rasters[0].image()
    assert ink_count(image) > 200
    assert image.tobytes() == row_image(rare_rows[0].text, prof.width_dots, height=32).tobytes()
    assert has_glyph("𠮷") and has_glyph("〇")
    assert glyph("𠮷").tobytes() != glyph("吉").tobytes()  # its own glyph, not a look-alike
    # the 𠮷 cell (columns 8-9 after "生僻字：") is drawn, not left blank
    assert ink_count(image.crop((8 * 12, 0, 10 * 12, 24))) > 40


def test_full_width_punctuation_and_ling_stay_text() -> None:
    slip = slips.Slip(body=(slips.Text("二〇二四年（第一期）：通知；“公开”、《目录》！"),))
    decoded = decode(slip_bytes(slip, profile(58, "text")))
    assert decoded.text == "二〇二四年（第一期）：通知；“公\n开”、《目录》！"
    assert not decoded.rasters
    gb = "二〇二四年（第一期）：".encode("gb18030")
    assert gb in slip_bytes(slip, profile(58, "text"))


def test_font_charset_decides_what_goes_as_image() -> None:
    slip = slips.Slip(body=(slips.Text("二〇二四"), slips.Text("堃"), slips.Text("𠮷")))
    gb2312 = decode(slip_bytes(slip, profile(58, "text", font_charset="gb2312")))
    assert gb2312.text == "" and len(gb2312.rasters) == 3
    gbk = decode(slip_bytes(slip, profile(58, "text", font_charset="gbk")))
    assert gbk.text == "二〇二四\n堃" and len(gbk.rasters) == 1
    full = decode(slip_bytes(slip, profile(58, "text", font_charset="gb18030")))
    assert full.text == "二〇二四\n堃\n𠮷" and not full.rasters
    assert "𠮷".encode("gb18030") in slip_bytes(slip, profile(58, "text", font_charset="gb18030"))


def test_sizes_bold_alignment_decode() -> None:
    decoded = decode(slip_bytes(slips.test_slip(), profile(80, "text")))
    by_text = {line.text: line for line in decoded.lines}
    title = by_text["打印测试页"]
    assert title.align == "center" and title.runs[0].width == 2 and title.runs[0].height == 2
    assert title.runs[0].bold
    assert by_text["加粗：办理进度查询"].runs[0].bold
    assert not by_text["中文：政府信息公开申请（依申请公开）"].runs[0].bold
    assert by_text["居右 right"].align == "right"
    big = by_text["A001"].runs[0]
    assert (big.width, big.height, big.cell) == (4, 4, 1)
    assert by_text["A001"].dots == 4 * 12 * 4
    assert [run.cell for run in by_text["居右 right"].runs] == [2, 1]


def test_control_characters_never_reach_the_printer() -> None:
    slip = slips.Slip(body=(slips.Text("申请\x1bd\x05人\x1dV\x00姓名\x07"),))
    data = slip_bytes(slip, profile(58, "text"))
    assert b"\x1bd\x05" not in data and b"\x1dV\x00" not in data and b"\x07" not in data
    decoded = decode(data)
    assert decoded.text == "申请d人V姓名" and len(decoded.cuts) == 1


def test_big_number_shrinks_to_fit() -> None:
    slip = slips.Slip(body=(slips.BigNumber("A1234567", scale=8),))
    for width in (58, 80):
        prof = profile(width, "text")
        line = decode(slip_bytes(slip, prof)).lines[0]
        assert line.text == "A1234567" and line.dots <= prof.width_dots
        assert line.runs[0].width == prof.columns // 8


def test_slip_survives_json_round_trip() -> None:
    for make in SLIPS.values():
        slip = make()
        again = slips.Slip.from_dict(slip.to_dict())
        assert again == slip
        assert slip_bytes(again, profile(58, "text")) == slip_bytes(slip, profile(58, "text"))
    with pytest.raises(ValueError, match="unknown slip block"):
        slips.Slip.from_dict({"body": [{"type": "barcode"}]})


def test_receipt_refuses_unmasked_numbers() -> None:
    with pytest.raises(ValueError, match="masked"):
        slips.receipt_slip(hall="h", application_no="1", received_on=slips.dt.date(2024, 5, 1),
                           deadline=slips.dt.date(2024, 5, 30), phone_masked="13812345678")
    with pytest.raises(ValueError, match="masked"):
        slips.receipt_slip(hall="h", application_no="1", received_on=slips.dt.date(2024, 5, 1),
                           deadline=slips.dt.date(2024, 5, 30), id_masked="330102199001011234")
    assert slips.mask_phone("13812345678") == "138****5678"
    assert slips.mask_id_number("330102199001011234") == "3301**********1234"


def test_policy_summary_is_cut() -> None:
    slip = slips.policy_qr_slip(title="t", doc_number="", issuer="i", summary="很长" * 200,
                                qr_payload="https://x.invalid/p/1", summary_chars=50)
    texts = [b.text for b in slip.body if isinstance(b, slips.Text)]
    assert any(len(t) == 50 and t.endswith("…") for t in texts)


def test_native_qr_bytes_are_gs_k() -> None:
    data = slip_bytes(slips.Slip(body=(slips.QR("https://x.invalid/a"),)), profile(58, "text"))
    assert b"\x1d(k\x04\x001A2\x00" in data  # model 2
    assert b"\x1d(k\x03\x001E1" in data  # error correction M
    assert b"\x1d(k\x16\x001P0https://x.invalid/a" in data  # store
    assert b"\x1d(k\x03\x001Q0" in data  # print
    assert decode(data).qr_codes == [QrCode(b"https://x.invalid/a", 6, "M", "center")]
