"""The screen state: only published, scheduled-now content; emergencies; the version; the
HTTP endpoint; the registry; the demo screens."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from PIL import Image, ImageDraw
from sqlalchemy import event, select

from content import services
from content.models import Interpretation, Notice, Policy, PubStatus
from hall.db import utcnow
from hall.extensions import db
from hall.signals import screens_changed
from screens import registry
from screens.models import EmergencyMessage, Playlist, PlaylistItem, Screen, ScreenGroup
from screens.schedule import HALL_ZONE
from screens.state import (
    ScreenNotFound,
    build_state,
    build_states,
    bump_version,
    current_version,
)

from .support import interpretation, notice, policy, screen_with, ticker

NOON = dt.datetime(2026, 6, 3, 12, 0, tzinfo=HALL_ZONE)  # a Wednesday


def _ids(state: dict) -> list[str]:  # type: ignore[type-arg]
    return [s["id"] for s in state["slides"]]


def test_only_published_content_reaches_the_screen(app: Flask) -> None:
    live = notice("已发布")
    draft = notice("草稿", status=PubStatus.DRAFT)
    scheduled = notice("定时", status=PubStatus.SCHEDULED, publish_at=NOON + dt.timedelta(1))
    withdrawn = policy("已撤回", status=PubStatus.WITHDRAWN)
    expired = policy("已过下线时间", expire_at=NOON - dt.timedelta(minutes=1))
    card = policy("有效文件")
    screen = screen_with([{"kind": "notice", "notice_id": n.id} for n in (draft, live, scheduled)]
                         + [{"kind": "policy", "policy_id": p.id}
                            for p in (withdrawn, expired, card)])
    items = {(i.kind, i.notice_id or i.policy_id): f"item-{i.id}"
             for i in screen.playlist.items}
    state = build_state("lobby", NOON)
    assert _ids(state) == [items["notice", live.id], items["policy", card.id]]
    assert [s["title"] for s in state["slides"]] == ["已发布", "有效文件"]


def test_items_off_schedule_are_left_out_and_valid_until_is_the_next_edge(app: Flask) -> None:
    n = notice()
    screen_with([
        {"kind": "notice", "notice_id": n.id, "title": "全天"},
        {"kind": "notice", "notice_id": n.id, "title": "下午",
         "window_start": dt.time(14), "window_end": dt.time(18)},
        {"kind": "notice", "notice_id": n.id, "title": "周末", "weekdays": 0b1100000},
        {"kind": "notice", "notice_id": n.id, "title": "停用", "enabled": False},
        {"kind": "notice", "notice_id": n.id, "title": "已结束", "end_at": NOON},
    ])
    state = build_state("lobby", NOON)
    assert [s["title"] for s in state["slides"]] == ["全天"]
    assert state["valid_until"] == NOON.replace(hour=14).astimezone(dt.UTC).isoformat()
    afternoon = build_state("lobby", NOON.replace(hour=14))
    assert [s["title"] for s in afternoon["slides"]] == ["全天", "下午"]


def test_the_screens_playlist_wins_while_on_air_else_the_groups(app: Flask) -> None:
    screen = screen_with([{"kind": "notice", "notice_id": notice("屏幕自己的").id}], group="hall")
    screen.playlist.window_start, screen.playlist.window_end = dt.time(8), dt.time(9)
    group_list = Playlist(name="group-list")
    group_list.items.append(PlaylistItem(kind="notice", notice_id=notice("分组的").id))
    assert screen.group is not None
    screen.group.playlist = group_list
    db.session.commit()
    assert [s["title"] for s in build_state("lobby", NOON)["slides"]] == ["分组的"]
    assert [s["title"] for s in build_state("lobby", NOON.replace(hour=8))["slides"]] == [
        "屏幕自己的"]


def test_state_shape_follows_the_contract(app: Flask) -> None:
    item = interpretation()
    screen_with([{"kind": "interpretation", "interpretation_id": item.id, "duration": 9},
                 {"kind": "image", "media": "ogi-apply-flow.svg", "title": "流程", "text": "说明"},
                 {"kind": "video", "media": "clip.mp4", "duration": 30}],
                orientation="portrait", zone_side=True)
    ticker("第一条")
    ticker("晚上才有", window_start=dt.time(18))
    state = build_state("lobby", NOON)
    assert set(state) == {"type", "version", "sent_at", "valid_until", "screen", "hall",
                          "slides", "ticker", "emergency", "side", "reload"}
    assert state["type"] == "state" and state["emergency"] is None
    assert state["side"]["current"] == [] and state["side"]["version"] == 0  # the queue board
    assert state["screen"]["orientation"] == "portrait"
    assert state["screen"]["zones"] == {"header": True, "main": True, "ticker": True,
                                        "side": True}
    assert state["hall"]["name"] == app.config["HALL_NAME"]
    graphic, image, video = state["slides"]
    assert graphic["kind"] == "interpretation" and graphic["duration"] == 9
    assert graphic["image"] == "/media/ogi-2019-tujie.svg" and graphic["image_alt"] == "图解说明"
    assert image["image"] == "/media/ogi-apply-flow.svg" and image["caption"] == "说明"
    assert image["image_alt"] == "流程" and image["qr_svg"] == ""
    assert video["video"] == "/media/clip.mp4" and video["image"] == ""
    assert [t["text"] for t in state["ticker"]] == ["第一条"]
    assert state["valid_until"] == NOON.replace(hour=18).astimezone(dt.UTC).isoformat()


def test_notice_html_is_sanitized_on_the_way_out(app: Flask) -> None:
    # Stored straight into the table (not through the services), as a hostile import might.
    bad = notice(body_html='<p onclick="x()">好</p><script>alert(1)</script>'
                           '<img src="a.png" onerror="alert(2)">')
    screen_with([{"kind": "notice", "notice_id": bad.id}])
    html = build_state("lobby", NOON)["slides"][0]["html"]
    assert "<p>好</p>" in html
    assert "script" not in html and "onerror" not in html and "onclick" not in html


def _decode_qr(svg: str) -> str:
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))  # type: ignore[union-attr]
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, n in re.findall(r"M(\d+) (\d+)\.5h(\d+)", svg):
        x0, y0 = int(x) * scale, int(y) * scale
        draw.rectangle([x0, y0, x0 + int(n) * scale - 1, y0 + scale - 1], fill=0)
    results = zxingcpp.read_barcodes(image)
    assert results, "QR code did not decode"
    return str(results[0].text)


def test_policy_card_has_a_qr_code_to_the_kiosk_page(app: Flask) -> None:
    card = policy("条例")
    screen_with([{"kind": "policy", "policy_id": card.id}])
    slide = build_state("lobby", NOON)["slides"][0]
    assert slide["meta"]["doc_number"] == "国务院令第711号"
    assert slide["caption"] == "条例摘要"
    assert 'aria-label="条例"' in slide["qr_svg"]
    assert _decode_qr(slide["qr_svg"]) == f"http://hall.example.test/kiosk/policies/{card.id}"


def test_emergency_targets_and_end(app: Flask) -> None:
    screen_with([], name="lobby", group="floor1")
    screen_with([], name="side-door")
    until = NOON + dt.timedelta(hours=1)
    db.session.add_all([
        EmergencyMessage(title="分组", text="一楼", target="group", target_name="floor1",
                         until=until, created_at=NOON - dt.timedelta(minutes=5)),
        EmergencyMessage(title="已清除", text="旧", target="all", created_at=NOON,
                         cleared_at=NOON),
        EmergencyMessage(title="别的屏", text="不是我", target="screen",
                         target_name="elsewhere", created_at=NOON),
    ])
    db.session.commit()
    lobby = build_state("lobby", NOON)
    assert lobby["emergency"]["title"] == "分组"
    assert lobby["emergency"]["until"] == until.astimezone(dt.UTC).isoformat()
    assert lobby["valid_until"] == until.astimezone(dt.UTC).isoformat()
    assert build_state("side-door", NOON)["emergency"] is None
    assert build_state("lobby", until)["emergency"] is None
    db.session.add(EmergencyMessage(title="全部", text="所有屏幕", target="all",
                                    created_at=NOON - dt.timedelta(minutes=1)))
    db.session.commit()
    assert build_state("side-door", NOON)["emergency"]["title"] == "全部"
    assert build_state("lobby", NOON)["emergency"]["title"] == "全部"  # the newest wins


def test_unknown_screen(app: Flask, client: FlaskClient) -> None:
    with pytest.raises(ScreenNotFound):
        build_state("nobody")
    response = client.get("/screens/nobody/state.json")
    assert response.status_code == 404
    assert response.json is not None and response.json["code"] == "unknown_screen"


def test_state_json(app: Flask, client: FlaskClient) -> None:
    screen_with([{"kind": "notice", "notice_id": notice("通知").id}])
    response = client.get("/screens/lobby/state.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.json
    assert body is not None and body["screen"]["name"] == "lobby"
    assert [s["title"] for s in body["slides"]] == ["通知"]


def test_version_grows_with_each_relevant_change(app: Flask) -> None:
    shown, other = notice("在播"), notice("不在播")
    screen_with([{"kind": "notice", "notice_id": shown.id}])
    start = current_version()
    assert bump_version() == start + 1
    shown.title = "在播（更新）"
    services.save(shown)  # content_changed → screens.push
    assert current_version() == start + 2
    assert build_state("lobby")["slides"][0]["title"] == "在播（更新）"
    other.title = "改了也不影响屏幕"
    services.save(other)
    assert current_version() == start + 2
    screens_changed.send(None, kind="ticker", ids=[1])
    assert current_version() == start + 3
    assert build_state("lobby")["version"] == start + 3


def test_deleted_content_leaves_the_playlist(app: Flask) -> None:
    gone = notice("将删除")
    screen_with([{"kind": "notice", "notice_id": gone.id}])
    before = current_version()
    services.delete(gone)
    assert build_state("lobby")["slides"] == []
    assert current_version() == before + 1


def test_registry_heartbeat_online_and_remote_reload(app: Flask) -> None:
    screen_with([])
    now = utcnow()
    assert registry.seen("lobby", on_air="item-3", version=7, addr="10.0.0.5", now=now)
    assert not registry.seen("nobody", now=now)
    row = registry.overview(now)[0]
    assert row.online and row.on_air == "item-3" and row.seen_version == 7
    assert row.client_addr == "10.0.0.5"
    assert registry.overview(now + dt.timedelta(seconds=90))[0].online
    assert not registry.overview(now + dt.timedelta(seconds=91))[0].online
    old = build_state("lobby")["reload"]
    version = current_version()
    token = registry.remote_reload("lobby")
    assert token and token != old
    assert build_state("lobby")["reload"] == token
    assert current_version() == version + 1
    assert registry.remote_reload("nobody") is None


def test_heartbeats_are_written_together_after_a_while(app: Flask) -> None:
    screen_with([])
    screen_with([], name="lobby-portrait")
    app.config["SCREEN_HEARTBEAT_WRITE_SECONDS"] = 0.3
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]) if "UPDATE screen" in args[2] else None)

    def row(name: str) -> Screen:
        db.session.expire_all()
        return db.session.scalars(select(Screen).filter_by(name=name)).one()

    registry.heartbeat("lobby", on_air="item-1", version=3)
    registry.heartbeat("lobby", on_air="item-2", version=4)  # the later one wins
    registry.heartbeat("lobby-portrait", on_air="item-9", version=None)
    assert row("lobby").last_seen is None and statements == []  # nothing written yet

    deadline = time.monotonic() + 5
    while row("lobby").last_seen is None and time.monotonic() < deadline:
        time.sleep(0.05)
    lobby, portrait = row("lobby"), row("lobby-portrait")
    assert (lobby.on_air, lobby.seen_version) == ("item-2", 4) and lobby.last_seen
    assert portrait.on_air == "item-9" and portrait.last_seen
    assert len(statements) == 2  # one UPDATE per screen, in one transaction

    registry.heartbeat("lobby", on_air="item-5", version=5)
    assert registry.overview()[0].on_air == "item-5"  # staff see pending ones at once
    assert registry.write_heartbeats() == 0


def test_demo_creates_two_screens_once(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    screens = db.session.query(Screen).order_by(Screen.name).all()
    assert [(s.name, s.orientation) for s in screens] == [
        ("lobby", "landscape"), ("lobby-portrait", "portrait")]
    assert db.session.query(ScreenGroup).count() == 1
    lobby = build_state("lobby")
    kinds = {s["kind"] for s in lobby["slides"]}
    assert {"notice", "policy", "interpretation", "image"} <= kinds
    assert lobby["ticker"]
    assert build_state("lobby-portrait")["slides"]
    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0, again.output
    assert db.session.query(Screen).count() == 2
    listing = runner.invoke(args=["screens", "list"])
    assert listing.exit_code == 0
    assert "lobby-portrait" in listing.output and "offline" in listing.output


@contextmanager
def _statements() -> Iterator[list[str]]:
    """The SQL statements sent while the block runs."""
    sent: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def test_a_build_reads_once_per_kind_however_many_slides(app: Flask,
                                                         runner: FlaskCliRunner) -> None:
    # On the push path: before the eager reads, the demo's two screens took 38 statements
    # (a lazy load per slide, its agency, issuer, policy) and each added slide took more.
    assert runner.invoke(args=["demo"]).exit_code == 0
    with _statements() as sent:
        states = build_states()
    assert {"notice", "policy", "interpretation", "image"} <= {
        s["kind"] for s in states["lobby"]["slides"]}
    assert len(sent) <= 16, sent  # 10 for the screens, 6 for the queue board
    playlist = db.session.scalars(select(Playlist).where(Playlist.name == "lobby-main")).one()
    published = {
        "notice": select(Notice.id).where(Notice.status == PubStatus.PUBLISHED),
        "policy": select(Policy.id).where(Policy.status == PubStatus.PUBLISHED),
        "interpretation": select(Interpretation.id)
        .where(Interpretation.status == PubStatus.PUBLISHED),
    }
    for kind, query in published.items():
        for row_id in db.session.scalars(query.limit(4)):
            playlist.items.append(PlaylistItem(kind=kind, **{f"{kind}_id": row_id}))
    db.session.commit()
    with _statements() as more:
        grown = build_states()
    assert len(grown["lobby"]["slides"]) >= len(states["lobby"]["slides"]) + 8
    assert len(more) == len(sent)
    with _statements() as one:
        assert build_state("lobby-portrait")["slides"]
    assert len(one) <= len(sent)
