"""Demo applications for ``gongkai demo``: a dozen cases of this year in every stage.

Applicants live in the towns of the 赣州 bulletin (章贡区, 寻乌县留车镇, 大余县新城镇,
全南县金龙镇); names, ID numbers (checksum-valid, fake) and phones (138…) are invented. The
cases go through the real workflow with past dates, so each has its history and a deadline it
can explain:
one waiting to be registered, one waiting for a 补正, one restarted after a 补正, one paused
for a third party, one extended, one overdue, answers of several kinds, one archived and one
closed because the supplement never came.

Runs only when no application exists yet, so running ``gongkai demo`` again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
from flask import Flask
from sqlalchemy import select

from disclosure import workflow
from disclosure.models import Application, Channel
from disclosure.personal import resident_id_check
from disclosure.workflow import ApplicationInput
from hall.calendar import WorkdayCalendar, load_calendar
from hall.extensions import db
from hall.timefmt import HALL_TZ, local_today

#: Where ``content/demo.py`` looks for extra steps to run after its own.
DEMO_STEPS_KEY = "demo_steps"
OFFICER = "政务公开办 刘敏"


def fake_id(area: str, born: str, seq: str) -> str:
    """A checksum-valid (fake) resident ID of ``area`` (6 digits), ``born`` (YYYYMMDD)."""
    first17 = f"{area}{born}{seq}"
    return first17 + resident_id_check(first17)


@dataclass
class Case:
    ago: int  # received this many working days before today
    form: dict[str, Any]
    steps: list[Callable[[Application, Callable[[int], dt.date]], Application]] = field(
        default_factory=list)
    channel: str = Channel.KIOSK


def _workdays_ago(cal: WorkdayCalendar, today: dt.date, n: int) -> dt.date:
    day, counted = today, 0
    while counted < n:
        day -= dt.timedelta(days=1)
        counted += cal.is_workday(day)
    return day


def _person(name: str, id_number: str, phone: str, address: str, title: str,
            description: str, **extra: Any) -> dict[str, Any]:
    return {"applicant_type": "person", "name": name, "id_type": "resident_id",
            "id_number": id_number, "phone": phone, "address": address, "info_title": title,
            "info_description": description, "consent": True, **extra}


def _org(kind: str, name: str, contact: str, code: str, phone: str, address: str,
         title: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"applicant_type": kind, "name": name, "contact_person": contact,
            "id_type": "other", "id_number": code, "phone": phone, "address": address,
            "info_title": title, "info_description": description, "consent": True, **extra}


def _to(stage: str) -> Callable[[Application, Callable[[int], dt.date]], Application]:
    """Move a case to ``stage`` (registered / reviewing / processing) on its received day."""
    order = ["registered", "reviewing", "processing"]
    moves = [workflow.register, workflow.start_review, workflow.start_processing]

    def step(app: Application, day: Callable[[int], dt.date]) -> Application:
        for move in moves[:order.index(stage) + 1]:
            app = move(app, OFFICER, today=app.received_on)
        return app
    return step


def _answer(kind: str, text: str, ago: int, result: str = "", **extra: str
            ) -> Callable[[Application, Callable[[int], dt.date]], Application]:
    def step(app: Application, day: Callable[[int], dt.date]) -> Application:
        return workflow.answer(app, OFFICER, kind, result, text, extra, on=day(ago),
                               today=day(ago))
    return step


def _archive(ago: int) -> Callable[[Application, Callable[[int], dt.date]], Application]:
    def step(app: Application, day: Callable[[int], dt.date]) -> Application:
        return workflow.archive(app, OFFICER, today=day(ago))
    return step


def _cases() -> list[Case]:
    zg, xw, dy, qn = "360702", "360734", "360723", "360729"
    return [
        Case(2, _person("王建华", fake_id(zg, "19680412", "031"), "13807971203",
                        "江西省赣州市章贡区沙石镇吉埠村3组15号",
                        "2025年章贡区城镇老旧小区改造项目清单",
                        "申请公开2025年章贡区城镇老旧小区改造项目清单及各小区改造内容。")),
        Case(3, _person("刘芳", fake_id(zg, "19850923", "042"), "13807972288",
                        "江西省赣州市章贡区解放街道健康路22号",
                        "解放街道2025年城乡居民最低生活保障资金发放情况",
                        "申请公开解放街道2025年低保资金发放的汇总情况（不含个人信息）。",
                        delivery="email", email="liufang85@qq.com", info_format="electronic"),
             [_to("registered")]),
        Case(4, _person("陈志强", fake_id(xw, "19790105", "015"), "13807973391",
                        "江西省赣州市寻乌县留车镇留车村8号", "",
                        "我想要留车镇那个项目的文件。"),
             [_to("reviewing"),
              lambda app, day: workflow.request_supplement(
                  app, OFFICER, "请写明所需信息的具体名称或文号，以及所指项目的名称和年份。",
                  today=day(3))]),
        Case(20, _person("钟晓梅", fake_id(dy, "19900617", "026"), "13807974415",
                         "江西省赣州市大余县新城镇新华村5组",
                         "新城镇2025年高标准农田建设项目的招标文件",
                         "申请公开新城镇高标准农田建设项目的招标公告和中标结果。"),
             [_to("reviewing"),
              lambda app, day: workflow.request_supplement(
                  app, OFFICER, "请说明所需招标文件对应的项目名称（新城镇有两个高标准农田项目）。",
                  today=day(18)),
              lambda app, day: workflow.receive_supplement(app, OFFICER, day(12),
                                                           today=day(12)),
              lambda app, day: workflow.start_processing(app, OFFICER, today=day(12))]),
        Case(15, _org("business", "赣州市章贡区宏达房地产开发有限公司", "周国平",
                      "91360702-MA35", "13807975520", "江西省赣州市章贡区水西镇工业大道8号",
                      "水西镇某地块国有建设用地使用权出让合同",
                      "申请公开水西镇2024年出让的一宗商住用地的出让合同及补充协议。"),
             [_to("processing"),
              lambda app, day: workflow.start_consultation(
                  app, OFFICER, "third_party",
                  "出让合同涉及受让方商业秘密，依第三十二条书面征求第三方意见。", day(6),
                  today=day(6))],
             channel=Channel.COUNTER),
        Case(25, _person("黄丽", fake_id(qn, "19821130", "048"), "13807976634",
                         "江西省赣州市全南县金龙镇金龙村2组",
                         "金龙镇2021—2025年财政专项资金使用情况",
                         "申请公开金龙镇五年来各项财政专项资金的使用明细。"),
             [_to("processing"),
              lambda app, day: workflow.extend(
                  app, OFFICER, 10, "区政务公开办主任 钟华", "所需信息涉及五个年度、多个部门，"
                  "需要汇总整理，经政务公开工作机构负责人同意延长答复期限。", today=day(18))]),
        Case(23, _person("邱敏", fake_id(zg, "19950308", "062"), "13807977745",
                         "江西省赣州市章贡区南外街道文清路66号",
                         "章贡区2025年义务教育学校招生划片方案",
                         "申请公开章贡区2025年小学和初中招生划片范围。"),
             [_to("reviewing")]),
        Case(40, _person("赖文斌", fake_id(zg, "19720821", "073"), "13807978856",
                         "江西省赣州市章贡区水东镇七里村4组", "章贡区2025年重大行政决策事项目录",
                         "申请公开章贡区2025年度重大行政决策事项目录。"),
             [_to("processing"),
              _answer("already_public", "您申请的信息已主动公开，可在章贡区人民政府网站"
                      "“政府信息公开—重大行政决策”栏目查阅。", 35,
                      where="章贡区人民政府网站 政府信息公开—重大行政决策")]),
        Case(38, _org("legal_service", "江西赣江律师事务所", "谢文", "31360000-0123",
                      "13807979967", "江西省赣州市章贡区赣江源大道18号",
                      "区教体局2025年校外培训机构检查处理决定",
                      "申请公开区教体局2025年对校外培训机构检查后作出的处理决定。"),
             [_to("processing"),
              _answer("partial", "所申请信息中涉及个人信息的部分不予公开，其余部分予以公开，"
                      "见附件。", 25)], channel=Channel.POST),
        Case(45, _person("郭秀英", fake_id(xw, "19560714", "084"), "13807970078",
                         "江西省赣州市寻乌县留车镇新屋村", "留车镇1998年土地承包合同底册",
                         "申请公开留车镇新屋村1998年第二轮土地承包合同底册。"),
             [_to("processing"),
              _answer("not_exist", "经检索，本机关未制作、获取该信息。", 30)]),
        Case(50, _person("谢伟", fake_id(dy, "19880229", "095"), "13807971189",
                         "江西省赣州市大余县新城镇府前路3号", "新城镇党政联席会议讨论记录",
                         "申请公开新城镇2025年3月党政联席会议讨论征地补偿方案的会议记录。"),
             [_to("processing"),
              _answer("deny", "所申请信息属于行政机关在履行行政管理职能过程中形成的讨论记录，"
                      "属于过程性信息，依照第十六条第二款不予公开。", 36,
                      result="deny_process")]),
        Case(80, _org("research", "赣南师范大学地方治理研究所", "温晓东", "12360000-4917",
                      "13807972290", "江西省赣州市章贡区师院南路",
                      "章贡区政务公开标准化规范化建设材料",
                      "申请获取章贡区“十县百乡”政务公开标准化规范化创建的总结材料。",
                      info_format="electronic", delivery="email",
                      email="wenxd@gnnu.edu.cn"),
             [_to("processing"),
              _answer("already_public", "该信息已在章贡区人民政府网站政务公开专栏公开。", 70,
                      where="章贡区人民政府网站 政务公开专栏"),
              _archive(60)]),
        Case(45, _person("曾凡", fake_id(qn, "20010419", "011"), "13807973301",
                         "江西省赣州市全南县金龙镇", "", "我要看镇里的那个文件。"),
             [_to("reviewing"),
              lambda app, day: workflow.request_supplement(
                  app, OFFICER, "请写明所需文件的名称、文号或内容特征。", day(30), today=day(44)),
              lambda app, day: workflow.close_no_supplement(app, OFFICER, today=day(29))]),
    ]


def seed_applications(today: dt.date | None = None) -> int:
    """Create the demo applications; how many (0 if an application already exists)."""
    if db.session.scalar(select(Application.id).limit(1)) is not None:
        return 0
    today = today or local_today()
    cal = load_calendar()

    def day(n: int) -> dt.date:
        return _workdays_ago(cal, today, n)

    cases = sorted(_cases(), key=lambda c: -c.ago)
    for case in cases:
        received = day(case.ago)
        now = dt.datetime.combine(received, dt.time(10, 0), tzinfo=HALL_TZ).astimezone(dt.UTC)
        form = {"delivery": "pickup", "info_format": "paper", **case.form}
        actor = OFFICER if case.channel != Channel.KIOSK else ""
        app = workflow.file_application(ApplicationInput(**form), channel=case.channel,
                                        received_on=received, actor=actor, now=now)
        for step in case.steps:
            app = step(app, day)
    return len(cases)


def demo_step() -> None:
    """The ``gongkai demo`` step: seed the demo applications and say so."""
    made = seed_applications()
    if made:
        click.echo(f"依申请公开 disclosure: {made} applications (/staff/disclosure)")


def init_app(app: Flask) -> None:
    """Add the disclosure step to the steps ``gongkai demo`` runs after the content demo."""
    steps = app.extensions.setdefault(DEMO_STEPS_KEY, [])
    if demo_step not in steps:
        steps.append(demo_step)
