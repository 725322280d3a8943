"""Helpers for the printer tests: profiles by mode and the hall's slips filled in."""

from __future__ import annotations

import datetime as dt

from printer import slip as slips
from printer.profile import PrinterProfile

TICKET_QR = "https://hall.example.gov.cn/q/t/A023?d=20240501"
RECEIPT_QR = "https://hall.example.gov.cn/d/GK20240501-0007"
POLICY_QR = "https://hall.example.gov.cn/policies/4211"


def profile(width: int, mode: str, **options: object) -> PrinterProfile:
    """``mode`` "text": Chinese font and native QR; "raster": images for both."""
    settings: dict[str, object] = (
        {"chinese": "gb18030", "qr": "native"} if mode == "text"
        else {"chinese": "raster", "qr": "raster"})
    settings.update(options)
    return PrinterProfile.for_paper(width, **settings)


def ticket() -> slips.Slip:
    return slips.ticket_slip(hall="某某县政务服务中心", service="社保医保综合窗口", number="A023",
                             ahead=3, issued_at=dt.datetime(2024, 5, 1, 9, 30),
                             qr_payload=TICKET_QR)


def receipt() -> slips.Slip:
    return slips.receipt_slip(
        hall="某某县政务服务中心", application_no="GK20240501-0007",
        received_on=dt.date(2024, 5, 1), deadline=dt.date(2024, 5, 30), applicant="张三",
        phone_masked=slips.mask_phone("13812345678"),
        id_masked=slips.mask_id_number("330102199001011234"), qr_payload=RECEIPT_QR)


def policy() -> slips.Slip:
    return slips.policy_qr_slip(
        title="某某县人民政府关于进一步优化营商环境的若干措施", doc_number="某政发〔2024〕12号",
        issuer="某某县人民政府",
        summary="为深入贯彻落实国家和省关于优化营商环境的决策部署（详见附件），"
                "结合本县实际，制定如下措施：一是压缩办理时限；二是推行〇跑腿服务。",
        qr_payload=POLICY_QR)


SLIPS = {"ticket": ticket, "receipt": receipt, "policy": policy, "test": slips.test_slip}
QR_OF = {"ticket": TICKET_QR, "receipt": RECEIPT_QR, "policy": POLICY_QR,
         "test": "https://gongkai.invalid/printer-test"}
