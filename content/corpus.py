"""A large synthetic corpus of realistic Chinese policy documents, for search benchmarks.

Documents combine places, departments, topic vocabularies, actions and years, so that search
meets what a real county's archive holds: common two-character words (医保, 补贴, 社保) and
rare ones (执照, 低保 in a few topics). Everything is drawn from one ``random.Random(seed)``:
the same ``(n, seed)`` always gives the same documents.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

#: (place, short form used in 文号, agency kind of its government)
_PLACES = [(place, short, "government") for place, short in (
    ("赣州市", "赣市"), ("章贡区", "章"), ("南康区", "康"), ("赣县区", "赣县"), ("信丰县", "信"),
    ("大余县", "余"), ("上犹县", "犹"), ("崇义县", "崇"), ("安远县", "安"), ("龙南市", "龙"),
    ("定南县", "定"), ("全南县", "全"), ("宁都县", "宁"), ("于都县", "于"), ("兴国县", "兴"),
    ("瑞金市", "瑞"), ("会昌县", "会"), ("寻乌县", "寻"), ("石城县", "石"),
)]
#: (department, 文号 stem, 一级 category codes it writes about)
_DEPARTMENTS = [
    ("人民政府", "府发", ("01", "03", "08", "09", "12")),
    ("人民政府办公室", "府办字", ("01", "02", "04", "06", "10", "14")),
    ("人力资源和社会保障局", "人社字", ("02", "07")),
    ("医疗保障局", "医保发", ("02", "05")),
    ("民政局", "民字", ("03", "06")),
    ("教育体育局", "教体字", ("04",)),
    ("卫生健康委员会", "卫健字", ("05", "06")),
    ("住房和城乡建设局", "住建字", ("08", "10")),
    ("自然资源局", "自然资字", ("08", "09")),
    ("市场监督管理局", "市监字", ("11",)),
    ("农业农村局", "农字", ("12",)),
    ("司法局", "司字", ("13",)),
    ("行政审批局", "行审字", ("11", "14")),
]
_TREE = [
    ("01", "政府信息公开", ["政府信息公开指南", "政府信息公开制度", "政府信息公开年度报告",
                         "依申请公开"]),
    ("02", "社会保险", ["城乡居民养老保险", "城乡居民医疗保险", "社会保障卡", "工伤和失业保险"]),
    ("03", "社会救助", ["最低生活保障", "特困人员救助供养", "临时救助"]),
    ("04", "义务教育", ["招生入学", "学生资助", "教育督导"]),
    ("05", "医疗卫生", ["基本公共卫生服务", "医疗机构管理", "疾病预防控制"]),
    ("06", "养老服务", ["养老服务补贴", "养老机构管理", "老年人优待"]),
    ("07", "就业", ["就业创业扶持", "职业技能培训", "就业援助"]),
    ("08", "城乡规划", ["规划编制", "规划许可"]),
    ("09", "征地补偿", ["征收土地预公告", "征地补偿安置"]),
    ("10", "保障性住房", ["公共租赁住房", "城镇老旧小区改造"]),
    ("11", "市场监管", ["市场主体登记", "食品安全监管", "行政执法公示"]),
    ("12", "农业农村", ["惠农补贴", "农村土地承包", "高标准农田建设"]),
    ("13", "公共法律服务", ["法律援助", "人民调解"]),
    ("14", "政务服务", ["办事指南", "帮办代办"]),
]

CORPUS_AGENCIES: list[dict[str, Any]] = [
    {"name": place + dept, "kind": kind if dept == "人民政府" else "department", "region": place}
    for place, _short, kind in _PLACES for dept, _stem, _topics in _DEPARTMENTS
]
CORPUS_CATEGORIES: list[dict[str, Any]] = [
    row for code, name, children in _TREE for row in (
        [{"code": code, "name": name, "parent": None, "position": int(code)}]
        + [{"code": f"{code}{i:02d}", "name": child, "parent": code, "position": i}
           for i, child in enumerate(children, start=1)])
]

#: Per 一级 category: subjects for titles, aspects for summaries, sentences for bodies.
_TOPICS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "01": (["政府信息公开", "政务公开", "政府信息公开指南", "基层政务公开标准化规范化",
            "政务公开专区"],
           ["公开范围", "公开时限", "依申请公开程序", "专区建设", "考核评议"],
           ["各单位要坚持以公开为常态、不公开为例外，做到应公开尽公开。",
            "依申请公开自收到申请之日起{d}个工作日内答复，需要延长的不超过{d}个工作日。",
            "政务公开专区配备查询终端和纸质资料，资料每{m}个月更新一次。",
            "政府信息公开工作年度报告于每年{m}月底前向社会公布。"]),
    "02": (["城乡居民养老保险", "城乡居民医保", "社保卡", "医保报销", "工伤保险", "失业保险金"],
           ["参保范围", "缴费档次", "财政补贴", "待遇标准", "医保报销比例", "经办流程"],
           ["城乡居民医保个人缴费标准为每人每年{n}元，可通过手机或银行网点缴费。",
            "参保人员可持社保卡在定点医疗机构直接结算，医保报销比例不低于{p}%。",
            "对低保对象、特困人员等困难群体给予参保补贴，由财政资金全额或定额资助。",
            "社保卡具有身份凭证、信息记录、缴费和待遇领取等功能，遗失的应及时挂失。",
            "年满六十周岁、累计缴费满十五年的参保人员按月领取养老金。",
            "失业保险金按月发放，标准为当地最低工资标准的{p}%。"]),
    "03": (["最低生活保障", "低保", "特困人员救助供养", "临时救助", "低收入人口动态监测"],
           ["申请条件", "低保标准", "审核确认", "动态管理", "救助金发放"],
           ["城市低保标准提高到每人每月{n}元，农村低保标准相应提高。",
            "低保申请以家庭为单位向户籍所在地镇人民政府提出，审核结果公示{d}日。",
            "对因病、因灾陷入困境的家庭实施临时救助，救助金额一般不超过{n}元。",
            "特困人员基本生活标准不低于当地低保标准的1.3倍。",
            "民政部门每季度对低保家庭进行复核，做到应保尽保、应退尽退。"]),
    "04": (["义务教育招生入学", "学生资助", "营养改善计划", "中小学校责任督学", "校外培训治理"],
           ["学区划分", "招生程序", "资助标准", "督导事项", "随迁子女入学"],
           ["义务教育学校实行划片招生、免试就近入学，学区划分方案向社会公布。",
            "家庭经济困难寄宿生生活费补助标准为每生每年{n}元。",
            "进城务工人员随迁子女凭居住证在居住地入学。",
            "责任督学每月至少进校督导一次，督导结果向家长公开。"]),
    "05": (["基本公共卫生服务", "家庭医生签约服务", "医疗机构管理", "预防接种",
            "医保定点医疗机构管理"],
           ["服务项目", "经费标准", "签约服务", "绩效考核", "医保结算"],
           ["人均基本公共卫生服务经费补助标准为{n}元，用于居民健康档案等服务。",
            "家庭医生团队为签约居民提供健康咨询、慢病随访和转诊预约服务。",
            "医疗机构应在醒目位置公开服务项目和收费标准，推行检查检验结果互认。",
            "定点医疗机构应执行医保目录，不得分解住院、挂床住院或虚构医疗服务。"]),
    "06": (["高龄津贴", "养老服务补贴", "养老机构管理", "老年人优待", "居家和社区养老服务"],
           ["补贴对象", "补贴标准", "服务内容", "机构管理", "优待项目"],
           ["年满八十周岁的老年人按月领取高龄津贴，津贴发放至本人社保卡。",
            "对经济困难的失能老年人发放护理补贴，每人每月{n}元。",
            "社区长者食堂为老年人提供助餐服务，特殊困难老人享受助餐补贴。",
            "六十五周岁以上老年人凭身份证免费乘坐市内公交。",
            "养老机构新增护理型床位给予一次性建设补贴。"]),
    "07": (["创业担保贷款", "一次性创业补贴", "职业技能培训", "就业困难人员援助", "公益性岗位"],
           ["补贴条件", "贷款额度", "培训补贴", "岗位安置", "申领程序"],
           ["创业担保贷款个人最高额度为{n}万元，财政按规定给予贴息。",
            "首次创业并正常经营一年以上的，给予一次性创业补贴。",
            "参加职业技能培训并取得证书的，按规定享受培训补贴和生活费补贴。",
            "就业困难人员通过公益性岗位安置的，给予岗位补贴和社保补贴。"]),
    "08": (["国土空间规划", "村庄规划", "建设工程规划许可", "控制性详细规划"],
           ["规划编制", "公示程序", "许可条件", "批后管理"],
           ["规划草案公告时间不少于{d}日，公众可通过信函或网上平台提出意见。",
            "经批准的规划自批准之日起{d}个工作日内公布。",
            "建设工程规划许可实行批前公示和批后公布制度。"]),
    "09": (["土地征收", "征地补偿安置", "征收土地预公告", "被征地农民社会保障"],
           ["征收范围", "补偿标准", "安置方式", "听证程序"],
           ["征收土地预公告在拟征收土地所在村、村民小组张贴，时间不少于{d}个工作日。",
            "征地补偿安置方案公告不少于三十日，多数被征地农民有异议的应当组织听证。",
            "被征地农民社会保障费用单独列支，足额纳入征地补偿安置费用。"]),
    "10": (["公共租赁住房", "城镇老旧小区改造", "住房租赁补贴", "棚户区改造"],
           ["保障对象", "申请条件", "改造内容", "分配结果"],
           ["公共租赁住房实行轮候配租，配租结果在小区公示栏公示。",
            "符合条件的家庭可申请住房租赁补贴，每户每月{n}元。",
            "老旧小区改造内容由居民议定，重点解决水电气路和加装电梯等问题。"]),
    "11": (["市场主体登记", "个体工商户登记", "营业执照办理", "食品安全监督抽检", "行政执法公示"],
           ["登记程序", "执照办理", "抽检计划", "执法公示"],
           ["材料齐全、符合法定形式的，当场登记并发放营业执照。",
            "电子营业执照与纸质执照具有同等法律效力。",
            "食品安全监督抽检结果自作出结论之日起{d}个工作日内向社会公布。",
            "行政处罚决定在作出之日起七个工作日内公开。"]),
    "12": (["耕地地力保护补贴", "农机购置补贴", "农村土地承包经营权流转", "高标准农田建设",
            "宅基地审批"],
           ["补贴对象", "补贴标准", "流转管理", "项目建设"],
           ["耕地地力保护补贴每亩{n}元，通过惠农补贴一卡通直接发放到户。",
            "农机购置补贴实行自主购机、定额补贴、直补到卡。",
            "补贴对象、面积和金额在村务公开栏公示不少于七天。",
            "土地经营权流转合同应报镇人民政府备案。"]),
    "13": (["法律援助", "人民调解", "公共法律服务体系建设"],
           ["援助范围", "经济困难标准", "调解程序"],
           ["经济困难的公民可以申请法律援助，法律援助机构在七日内作出决定。",
            "人民调解不收取任何费用，调解协议可以申请司法确认。"]),
    "14": (["政务服务帮办代办", "政务服务好差评", "一窗受理", "延时错时服务"],
           ["服务清单", "办理流程", "评价整改", "服务时间"],
           ["政务服务中心推行一窗受理、集成服务，群众办事只进一扇门。",
            "差评件由专人核实、整改并回访，整改结果在{d}个工作日内反馈。",
            "对老年人、残疾人等特殊群体提供帮办代办服务，不收取任何费用。"]),
}
_TOPIC_WEIGHTS = {"01": 6, "02": 14, "03": 8, "04": 8, "05": 9, "06": 8, "07": 9, "08": 5,
                  "09": 5, "10": 5, "11": 6, "12": 9, "13": 3, "14": 5}
_TITLES = [
    "关于做好{year}年度{subject}工作的通知",
    "{place}{subject}实施办法",
    "{place}{subject}管理办法（试行）",
    "关于进一步加强{subject}工作的意见",
    "关于调整{subject}标准的通知",
    "关于印发《{place}{subject}实施细则》的通知",
    "{place}{subject}工作方案（{year}—{year2}年）",
    "关于开展{subject}专项行动的通知",
    "{place}{year}年{subject}工作要点",
    "关于规范{subject}有关事项的通知",
]
_GENERIC = [
    "各地各部门要提高思想认识，加强组织领导，确保各项措施落到实处。",
    "本文件由{agency}负责解释，执行中遇到的问题请及时反馈。",
    "各镇（街道）要做好政策宣传，通过政务公开专区、村（社区）公示栏等渠道及时公开相关信息。",
    "有关资金纳入财政预算，实行专账管理，任何单位和个人不得截留、挤占、挪用。",
    "对工作中推诿扯皮、弄虚作假的，依法依规追究有关人员责任。",
    "办理过程中不得要求群众重复提交材料，能够通过数据共享获取的信息不再要求提供。",
    "{place}各有关单位要围绕{subject}重点任务，细化责任分工，建立工作台账，按月调度推进。",
    "{agency}会同财政、审计等部门加强对{subject}资金使用情况的监督检查。",
    "要充分利用“赣服通”、政府网站和政务新媒体，推动{subject}事项网上办、掌上办、就近办。",
    "对群众反映集中的问题，要建立快速响应机制，做到件件有着落、事事有回音。",
    "各单位要于每年年底前将{subject}工作开展情况报送{agency}。",
    "对符合条件但因特殊原因未能及时申请的群众，可以补充申请，经审核后按规定办理。",
    "涉及个人信息的材料应当妥善保管，公示时不得公开身份证号码、银行账号等隐私信息。",
    "本文件实施后，此前有关规定与本文件不一致的，以本文件为准。",
    "要加强对基层经办人员的业务培训，提高政策把握能力和服务水平。",
    "对老年人、残疾人等特殊群体，要保留线下办理渠道，并提供帮办代办服务。",
]
_HEADS = ["一、总体要求", "二、主要内容", "三、工作措施", "四、保障措施", "五、其他事项"]
_VALIDITY = ("有效", "失效", "废止")
_START = dt.date(2015, 1, 1).toordinal()
_END = dt.date(2026, 10, 31).toordinal()
_MAX_BODY = 1450


def _variants(template: str, rng: random.Random) -> list[str]:
    """A topic sentence with its numbers filled in several ways (done once, for speed)."""
    if "{" not in template:
        return [template]
    return [template.format(n=rng.choice((120, 200, 380, 400, 600, 800, 1020, 1500, 3000)),
                            d=rng.choice((7, 10, 15, 20, 30)), m=rng.choice((1, 3, 6)),
                            p=rng.choice((50, 55, 60, 70, 75, 80, 90))) for _i in range(5)]


_FILLS = random.Random(20260101)
_SENTENCES = {code: [_variants(t, _FILLS) for t in topic[2]] for code, topic in _TOPICS.items()}
#: Fixed shuffles of the generic sentences: a document takes one, rotated (cheap, varied).
_ORDERS = [_FILLS.sample(range(len(_GENERIC)), len(_GENERIC)) for _i in range(16)]
_METRICS = ["覆盖率", "知晓率", "群众满意度", "按时办结率", "网上可办率", "政策兑现率"]
_TASKS = ["摸底排查", "政策宣传", "信息核对", "资金拨付", "考核评估", "台账建设", "督导检查",
          "问题整改"]
_TOWNS = ["水东镇", "沙石镇", "金龙镇", "新城镇", "留车镇", "唐江镇", "梅林镇", "过埠镇",
          "横市镇", "铁山垅镇", "黄埠镇", "龙回镇", "大塘埠镇", "南塘镇", "浮石乡", "湖边镇"]


_WEIGHTED_CODES = [code for code, weight in _TOPIC_WEIGHTS.items() for _i in range(weight)]
_WRITERS = {code: [d for d in _DEPARTMENTS if code in d[2]] for code in _TOPICS}
_CHILDREN = {code: [row["code"] for row in CORPUS_CATEGORIES if row["parent"] == code]
             for code in _TOPICS}


def _pick(rng: random.Random, seq: list[Any] | tuple[Any, ...]) -> Any:
    """``rng.choice`` without its overhead (the corpus draws millions of times)."""
    return seq[int(rng.random() * len(seq))]


def _extra(rng: random.Random, subject: str, year: int) -> str:
    """A target, pilot or deadline sentence: endless variety once the pools run dry."""
    kind = rng.random()
    if kind < 0.34:
        return (f"到{year + 1 + int(rng.random() * 3)}年底，{subject}{_pick(rng, _METRICS)}"
                f"达到{_pick(rng, (80, 85, 90, 95, 98))}%以上。")
    if kind < 0.67:
        return (f"选择{_pick(rng, _TOWNS)}、{_pick(rng, _TOWNS)}等镇（街道）先行开展{subject}"
                "试点，形成可复制、可推广的经验。")
    return f"{1 + int(rng.random() * 12)}月底前，完成{subject}{_pick(rng, _TASKS)}工作。"


def _body(rng: random.Random, code: str, agency: str, subject: str, place: str,
          year: int) -> str:
    """Paragraphs of sentences, 300–1,500 characters of text in all."""
    own = [_pick(rng, variants) for variants in _SENTENCES[code]]
    order = _pick(rng, _ORDERS)
    turn = int(rng.random() * len(order))
    generic = [_GENERIC[i] for i in order[turn:] + order[:turn]]
    target = 300 + int(rng.random() * (_MAX_BODY - 300))
    opening = f"为进一步做好{subject}工作，根据国家和省有关规定，结合{place}实际，制定本文件。"
    parts = [f"<p>{opening}</p>"]
    size = len(opening)
    heads = 0
    while size < target:
        if heads < len(_HEADS):
            parts.append(f"<h3>{_HEADS[heads]}</h3>")
            size += len(_HEADS[heads])
            heads += 1
        sentences = []
        for _s in range(2 + int(rng.random() * 3)):
            draw = rng.random()
            if own and draw < 0.5:
                sentence = own.pop()
            elif generic and draw < 0.85:
                sentence = generic.pop()
                if "{" in sentence:
                    sentence = sentence.format(agency=agency, subject=subject, place=place)
            else:
                sentence = _extra(rng, subject, year)
            if size + len(sentence) > _MAX_BODY:
                break
            sentences.append(sentence)
            size += len(sentence)
        if not sentences:
            break
        parts.append("<p>" + "".join(sentences) + "</p>")
    return "\n".join(parts)


def generate_policies(n: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    """``n`` policy rows of the bundle format, deterministic for ``seed``; title+文号 unique."""
    rng = random.Random(seed)
    numbers: dict[tuple[str, int], int] = {}
    for _index in range(n):
        code = _pick(rng, _WEIGHTED_CODES)
        place, short, _kind = _pick(rng, _PLACES)
        dept, stem, _topics = _pick(rng, _WRITERS[code])
        agency = place + dept
        subjects, aspects, _sentences = _TOPICS[code]
        subject = _pick(rng, subjects)
        issued = dt.date.fromordinal(_START + int(rng.random() * (_END - _START + 1)))
        year = issued.year
        prefix = f"{short}{stem}"
        numbers[(prefix, year)] = number = numbers.get((prefix, year), 0) + 1
        title = _pick(rng, _TITLES).format(year=year, year2=year + 2, place=place,
                                           subject=subject)
        age = 2026 - year
        draw = rng.random() * (20 + min(age, 8) * 1.5)
        validity = _VALIDITY[0 if draw < 20 else 1 if draw < 20 + min(age, 8) else 2]
        effective = (issued + dt.timedelta(days=_pick(rng, (0, 0, 10, 15, 30)))
                     if rng.random() < 0.8 else None)
        turn = int(rng.random() * len(aspects))
        picked = (aspects[turn:] + aspects[:turn])[:3]
        summary = (f"{place}{subject}有关规定：明确{'、'.join(picked[:-1])}和{picked[-1]}，"
                   f"由{agency}组织实施。")
        yield {
            "title": title,
            "doc_number": f"{prefix}〔{year}〕{number}号",
            "issuer": agency,
            "category": _pick(rng, _CHILDREN[code]),
            "issued_on": issued.isoformat(),
            "effective_on": effective.isoformat() if effective else None,
            "validity": validity,
            "summary": summary,
            "body_html": _body(rng, code, agency, subject, place, year),
        }


def corpus_bundle(n: int, seed: int = 0) -> dict[str, Any]:
    """A complete bundle (agencies, categories, ``n`` policies) ready for ``import_bundle``."""
    return {
        "format": "gongkai-content", "version": 1,
        "agencies": [dict(row) for row in CORPUS_AGENCIES],
        "categories": [dict(row) for row in CORPUS_CATEGORIES],
        "policies": list(generate_policies(n, seed)),
    }
