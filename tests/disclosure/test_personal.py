"""Identity documents (GB 11643, GB 32100), phones and the masks shown everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from disclosure.personal import (
    PersonalDataError,
    mask_address,
    mask_email,
    mask_id,
    mask_name,
    mask_phone,
    normalise_email,
    normalise_id,
    normalise_phone,
    resident_id_check,
)
from tests.disclosure.support import CREDIT_CODE

TODAY = dt.date(2026, 11, 25)


def _with_check(first17: str) -> str:
    return first17 + resident_id_check(first17)


def test_the_standard_example_is_valid() -> None:
    assert normalise_id("11010519491231002X", "resident_id", TODAY) == "11010519491231002X"


def test_lowercase_x_spaces_and_full_width_are_accepted() -> None:
    assert normalise_id(" 110105 19491231 002x ", "resident_id", TODAY) == "11010519491231002X"
    assert normalise_id("１１０１０５１９４９１２３１００２ｘ", "resident_id",
                        TODAY) == "11010519491231002X"


def test_wrong_check_character_is_refused() -> None:
    with pytest.raises(PersonalDataError) as caught:
        normalise_id("110105194912310021", "resident_id", TODAY)
    assert caught.value.field == "id_number"
    assert "校验位" in str(caught.value.message)


def test_impossible_birth_date_is_refused_even_with_a_right_check_character() -> None:
    number = _with_check("11010519490231002")  # born 1949-02-31
    with pytest.raises(PersonalDataError) as caught:
        normalise_id(number, "resident_id", TODAY)
    assert "出生日期不存在" in str(caught.value.message)


def test_future_birth_date_is_refused() -> None:
    number = _with_check("11010520261126001")  # born the day after TODAY
    with pytest.raises(PersonalDataError) as caught:
        normalise_id(number, "resident_id", TODAY)
    assert "晚于今天" in str(caught.value.message)
    assert normalise_id(_with_check("11010520261125001"), "resident_id", TODAY)


@pytest.mark.parametrize("raw", ["", "11010519491231002", "1101051949123100XX",
                                 "A1010519491231002X", "110105194912310020000"])
def test_wrong_length_or_letters_are_refused(raw: str) -> None:
    with pytest.raises(PersonalDataError):
        normalise_id(raw, "resident_id", TODAY)


def test_other_documents_need_four_to_thirty_letters_digits_or_hyphens() -> None:
    assert normalise_id("e 1234 5678", "passport", TODAY) == "E12345678"
    assert normalise_id("H12345678", "hk_macao", TODAY) == "H12345678"
    for raw in ("E1", "E" * 31, "E123<script>", "护照123456"):
        with pytest.raises(PersonalDataError):
            normalise_id(raw, "passport", TODAY)


def test_unknown_document_type_is_refused() -> None:
    with pytest.raises(PersonalDataError) as caught:
        normalise_id("E12345678", "library_card", TODAY)
    assert caught.value.field == "id_type"


def test_credit_code_checksum() -> None:
    assert normalise_id(CREDIT_CODE.lower(), "credit_code", TODAY) == CREDIT_CODE
    assert normalise_id("91350100M000100Y43", "credit_code", TODAY)  # a published example
    with pytest.raises(PersonalDataError):
        normalise_id(CREDIT_CODE[:-1] + "F", "credit_code", TODAY)


@pytest.mark.parametrize(("raw", "expected"), [
    ("138 1234 5678", "13812345678"),
    ("１３８１２３４５６７８", "13812345678"),
    ("+86 138-1234-5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("0797-8123456", "0797-8123456"),
    ("07978123456", "07978123456"),
    ("+852 6123 4567", "+85261234567"),
])
def test_phones(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "1381234567", "138123456789", "电话13812345678"])
def test_bad_phones(raw: str) -> None:
    with pytest.raises(PersonalDataError) as caught:
        normalise_phone(raw)
    assert caught.value.field == "phone"


def test_email() -> None:
    assert normalise_email(" Zhang.San@QQ.COM ") == "Zhang.San@qq.com"
    for raw in ("zhang", "zhang@", "@qq.com", "a@b@qq.com", "x" * 95 + "@qq.com"):
        with pytest.raises(PersonalDataError):
            normalise_email(raw)


def test_masks() -> None:
    assert mask_id("36070219880315123X") == "360702********123X"
    assert mask_id("E12345678") == "E1*****78"
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("0797-8123456") == "079****3456"
    assert mask_name("张三") == "张*"
    assert mask_name("张小三") == "张*三"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name("John Smith") == "J*** S****"
    assert mask_name("赣州市某某建材有限公司", "business") == "赣州市某某建材有限公司"
    assert mask_email("zhangsan@qq.com") == "z***@qq.com"
    assert mask_email("") == ""


@pytest.mark.parametrize(("address", "masked"), [
    ("江西省赣州市章贡区沙石镇吉埠村12号", "江西省赣州市章贡区沙石镇"),
    ("江西省赣州市章贡区解放街道健康路22号", "江西省赣州市章贡区解放街道"),
    ("江西省赣州市寻乌县留车镇留车村8号", "江西省赣州市寻乌县留车镇"),
    ("山西省临汾市乡宁县城关镇新街5号", "山西省临汾市乡宁县城关镇"),  # 乡 in the county name
    ("江西省赣州市赣县区梅林镇", "江西省赣州市赣县区梅林镇"),
    ("江西省赣州市章贡区文清路66号", "江西省赣州市章贡区"),
    ("赣州市文清路66号", "赣州市"),
    ("", ""),
])
def test_address_mask_stops_at_the_township(address: str, masked: str) -> None:
    assert mask_address(address) == masked


def test_error_message_is_translatable(app: Flask) -> None:
    with pytest.raises(PersonalDataError) as caught:
        normalise_phone("123")
    assert "手机号码" in str(caught.value)
