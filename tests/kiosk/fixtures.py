"""A small, realistic data set for kiosk tests: real Chinese text, rare characters (𠮷, 〇)
and full-width punctuation, built through ``content.services`` so search indexes follow.

Call ``make_sample_content()`` inside an app context (the ``app`` fixture pushes one).
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from pathlib import Path

from flask import current_app

from content.models import (
    Attachment,
    CatalogItem,
    Category,
    Interpretation,
    InterpretationKind,
    Notice,
    Policy,
    ServiceGuide,
    Validity,
)
from content.services import agency_named, apply_fields, save
from hall.extensions import db

#: The file name of the 图解 image written into the instance media folder.
GRAPHIC_FILE = "tujie-sample.png"

REGULATIONS_BODY = """
<h2>第一章　总则</h2>
<p id="art-1">第一条　为了保障公民、法人和其他组织依法获取政府信息，提高政府工作的透明度，
建设法治政府，充分发挥政府信息在服务人民群众生产、生活和经济社会活动中的作用，制定本条例。</p>
<p id="art-2">第二条　本条例所称政府信息，是指行政机关在履行行政管理职能过程中制作或者获取的，
以一定形式记录、保存的信息。</p>
<p id="art-3">第三条　各级人民政府应当加强对政府信息公开工作的组织领导。</p>
<h2>第二章　公开的主体和范围</h2>
<p id="art-10">第十条　行政机关制作的政府信息，由制作该政府信息的行政机关负责公开。</p>
<p id="art-13">第十三条　除本条例第十四条、第十五条、第十六条规定的政府信息外，
政府信息应当公开。</p>
<h2>第四章　依申请公开</h2>
<p id="art-27">第二十七条　除行政机关主动公开的政府信息外，公民、法人或者其他组织
可以向地方各级人民政府、对外以自己名义履行行政管理职能的县级以上人民政府部门申请获取相关政府信息。</p>
<p id="art-33">第三十三条　行政机关收到政府信息公开申请，能够当场答复的，应当当场予以答复。
不能当场答复的，应当自收到申请之日起20个工作日内予以答复。</p>
""".replace("\n", "").replace("</p><", "</p>\n<").replace("</h2><", "</h2>\n<")


def _png(width: int = 8, height: int = 8) -> bytes:
    """A tiny valid PNG (solid deep red), so the 图解 image really loads."""
    raw = b"".join(b"\x00" + b"\xa4\x1e\x22" * width for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _category(code: str, name: str, position: int, parent: Category | None = None) -> Category:
    cat = Category(code=code, name=name, position=position, parent=parent)
    db.session.add(cat)
    return cat


def make_sample_content() -> dict[str, int]:
    """Create agencies, categories, policies, an interpretation with an image, a guide,
    notices and catalog items; return their ids by a stable name."""
    media = Path(current_app.instance_path) / "media"
    media.mkdir(parents=True, exist_ok=True)
    (media / GRAPHIC_FILE).write_bytes(_png())

    state = agency_named("国务院", kind="government")
    gov = agency_named("赣州市章贡区人民政府", kind="government", region="章贡区")
    hrss = agency_named("赣州市章贡区人力资源和社会保障局", region="章贡区")
    town = agency_named("章贡区沙石镇人民政府", kind="town", region="章贡区")

    cat_policy = _category("ZCWJ", "政策文件", 1)
    cat_reg = _category("ZCWJ-01", "行政法规", 1, cat_policy)
    cat_norm = _category("ZCWJ-02", "规范性文件", 2, cat_policy)
    cat_social = _category("SHBZ", "社会保障", 2)
    cat_pension = _category("SHBZ-01", "养老保险", 1, cat_social)
    db.session.flush()

    regulations = save(apply_fields(Policy(), {
        "title": "中华人民共和国政府信息公开条例",
        "doc_number": "国令第711号",
        "issuer": state,
        "category": cat_reg,
        "issued_on": dt.date(2019, 4, 3),
        "effective_on": dt.date(2019, 5, 15),
        "validity": Validity.VALID,
        "summary": "2019年修订，保障公民、法人和其他组织依法获取政府信息（zfxxgk）。",
        "body_html": REGULATIONS_BODY,
    }))
    social = save(apply_fields(Policy(), {
        "title": "章贡区关于做好2025年城乡居民社保缴费工作的通知（𠮷安片区适用）",
        "doc_number": "章府办字〔2025〕12号",
        "issuer": gov,
        "category": cat_pension,
        "issued_on": dt.date(2025, 1, 6),
        "effective_on": dt.date(2025, 1, 6),
        "validity": Validity.VALID,
        "summary": "缴费标准：每人每年200元至6000元，共十五档；缴费期限：〇一月至十二月。",
        "body_html": "<p>各镇人民政府、街道办事处：</p><p>现就2025年度城乡居民基本养老保险"
                     "社保缴费工作通知如下：（一）缴费标准；（二）缴费方式：银行代扣或"
                     "“赣服通”线上缴纳。</p><p>联系人：𠮷先生，电话：0797-8888888。</p>",
    }))
    save(Attachment(policy=social, title="缴费档次表（附件1）", filename="jiaofei.pdf",
                    media_type="application/pdf", size=12345))
    old = save(apply_fields(Policy(), {
        "title": "章贡区城乡居民基本养老保险实施办法（试行）",
        "doc_number": "章府发〔2014〕3号",
        "issuer": hrss,
        "category": cat_norm,
        "issued_on": dt.date(2014, 3, 1),
        "validity": Validity.REPEALED,
        "summary": "已被新办法替代，仅供查阅。",
        "body_html": "<p>第一条　为建立城乡居民基本养老保险制度，制定本办法。</p>",
    }))

    interp = save(apply_fields(Interpretation(), {
        "title": "图解：2025年城乡居民社保缴费怎么交？",
        "policy": social,
        "kind": InterpretationKind.GRAPHIC,
        "author": "章贡区人力资源和社会保障局",
        "body_html": "<p>一张图看懂缴费档次、缴费时间和缴费渠道。</p>",
        "image": GRAPHIC_FILE,
        "image_alt": "图解：缴费档次从200元到6000元共十五档，每年一月至十二月均可缴纳。",
        "published_on": dt.date(2025, 1, 8),
    }))
    text_interp = save(apply_fields(Interpretation(), {
        "title": "《政府信息公开条例》修订要点解读",
        "policy": regulations,
        "kind": InterpretationKind.TEXT,
        "author": "司法部",
        "body_html": "<p>修订后的条例明确了“以公开为常态、不公开为例外”的原则。</p>",
        "published_on": dt.date(2019, 4, 15),
    }))

    guide = save(apply_fields(ServiceGuide(), {
        "title": "城乡居民基本养老保险参保登记",
        "agency": hrss,
        "category": cat_pension,
        "basis": "《中华人民共和国社会保险法》第二十条",
        "conditions": "年满16周岁（不含在校学生），非国家机关和事业单位工作人员。",
        "materials": [
            {"name": "居民身份证或户口簿", "copies": "原件1份", "note": "核验后退回"},
            {"name": "城乡居民基本养老保险参保登记表", "copies": "1份", "note": "现场领取"},
        ],
        "steps": ["提交材料", "窗口受理审核", "录入系统", "办结告知"],
        "time_limit": "即办",
        "fee": "不收费",
        "place": "章贡区政务服务中心二楼 社保窗口（12号）",
        "hours": "工作日 上午9:00—12:00，下午14:00—17:00",
        "phone": "0797-8123456",
    }))

    notice = save(apply_fields(Notice(), {
        "title": "关于2026年国庆节期间政务服务中心办公时间安排的公告",
        "body_html": "<p>10月1日至8日放假调休，共8天。"
                     "9月28日（星期日）、10月11日（星期六）上班。</p>",
        "agency": gov,
        "published_on": dt.date(2026, 9, 20),
    }))
    town_notice = save(apply_fields(Notice(), {
        "title": "沙石镇〇〇村2025年度低保对象公示",
        "body_html": "<p>公示期：7个工作日。如有异议，请向镇民政办反映。</p>",
        "agency": town,
        "published_on": dt.date(2025, 12, 1),
    }))

    items = [
        CatalogItem(seq=1, category=cat_reg, content="行政法规、规章",
                    basis="《政府信息公开条例》第二十条",
                    time_limit="信息形成或变更之日起20个工作日内", subject="区人民政府办公室",
                    channels=["政府网站", "政务公开专区"], audience="全社会", mode="主动",
                    tier="县级"),
        CatalogItem(seq=2, category=cat_norm, content="规范性文件（含解读材料）",
                    basis="《政府信息公开条例》第二十条第（一）项",
                    time_limit="20个工作日内", subject="区人民政府及其部门",
                    channels=["政府网站", "政府公报", "政务公开专区"], tier="县级"),
        CatalogItem(seq=3, category=cat_pension, content="城乡居民养老保险缴费标准、待遇标准",
                    basis="《社会保险法》", time_limit="政策出台后20个工作日内",
                    subject="区人力资源和社会保障局", channels=["政府网站", "公示栏"],
                    mode="主动", tier="乡级"),
    ]
    db.session.add_all(items)
    db.session.commit()

    return {
        "agency_state": state.id,
        "agency_gov": gov.id,
        "agency_hrss": hrss.id,
        "agency_town": town.id,
        "category_policy": cat_policy.id,
        "category_regulation": cat_reg.id,
        "category_normative": cat_norm.id,
        "category_social": cat_social.id,
        "category_pension": cat_pension.id,
        "policy_regulations": regulations.id,
        "policy_social": social.id,
        "policy_repealed": old.id,
        "interpretation_graphic": interp.id,
        "interpretation_text": text_interp.id,
        "guide": guide.id,
        "notice": notice.id,
        "notice_town": town_notice.id,
        "catalog_item": items[0].id,
    }
