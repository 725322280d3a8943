"""The screens' staff pages through the Flask client with CSRF on: screens, groups, playlists
and slides, ticker lines, emergency messages; server-side validation (422, nothing written),
audit entries, the push each change causes, and who may open the pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from content.models import PubStatus
from hall.db import utcnow
from hall.extensions import db
from hall.models import AuditEntry, Role, StaffUser
from screens import push
from screens.models import (
    EmergencyMessage,
    Playlist,
    PlaylistItem,
    Screen,
    ScreenGroup,
    TickerItem,
)
from screens.state import build_state
from tests.staff_support import csrf_token

from ..conftest import LiveServer
from .support import notice, policy, screen_with, ticker
from .test_socket import ScreenClient

EVERY_DAY = [str(i) for i in range(7)]


@pytest.fixture(autouse=True)
def _no_timer() -> Iterator[None]:
    """A change arms the transition timer; stop it so it cannot fire into the next test."""
    yield
    push.cancel_timer()


@pytest.fixture
def editor(login_as: Callable[..., StaffUser]) -> StaffUser:
    return login_as(Role.EDITOR)


def _post(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client, "/staff/screens/"), **data})


def _count(model: type[Any]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _audits(action: str, obj_type: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.object_type == obj_type)))


def _schedule(**fields: Any) -> dict[str, Any]:
    return {"start_at": "", "end_at": "", "weekdays": EVERY_DAY, "window_start": "",
            "window_end": "", **fields}


# -- screens ----------------------------------------------------------------------------------


def test_create_edit_and_list_a_screen(app: Flask, client: FlaskClient,
                                       editor: StaffUser) -> None:
    page = client.get("/staff/screens/new")
    assert page.status_code == 200 and "新建屏幕" in page.get_data(as_text=True)
    response = _post(client, "/staff/screens/new", {
        "name": "lobby", "title": "大厅主屏", "orientation": "portrait", "zone_header": "y",
        "zone_main": "y", "zone_side": "y", "group": "", "playlist": ""})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    screen = db.session.scalars(select(Screen)).one()
    assert (screen.name, screen.title, screen.orientation) == ("lobby", "大厅主屏", "portrait")
    assert screen.zones == {"header": True, "main": True, "ticker": False, "side": True}
    assert _audits("create", "screen")[0].new["title"] == "大厅主屏"

    group = ScreenGroup(name="floor-1", title="一楼")
    playlist = Playlist(name="day", title="白天")
    db.session.add_all([group, playlist])
    db.session.commit()
    response = _post(client, f"/staff/screens/{screen.id}", {
        "name": "renamed", "title": "大厅主屏（东）", "orientation": "landscape",
        "zone_main": "y", "zone_ticker": "y", "group": str(group.id),
        "playlist": str(playlist.id)})
    assert response.status_code == 303
    db.session.refresh(screen)
    assert screen.name == "lobby"  # the address never changes
    assert (screen.title, screen.group_id, screen.playlist_id) == (
        "大厅主屏（东）", group.id, playlist.id)
    entry = _audits("update", "screen")[0]
    assert entry.old["title"] == "大厅主屏" and entry.new["title"] == "大厅主屏（东）"

    listing = client.get("/staff/screens/").get_data(as_text=True)
    assert "大厅主屏（东）" in listing and "离线" in listing and "floor-1" in listing


def test_the_index_shows_the_registry(app: Flask, client: FlaskClient,
                                      editor: StaffUser) -> None:
    shown = notice("办事大厅开放时间调整")
    screen = screen_with([{"kind": "notice", "notice_id": shown.id}])
    item = screen.playlist.items[0]
    screen.last_seen, screen.on_air, screen.seen_version = utcnow(), f"item-{item.id}", 41
    db.session.commit()
    html = client.get("/staff/screens/").get_data(as_text=True)
    assert "screen-online" in html and "screen-offline" not in html
    assert "办事大厅开放时间调整" in html and ">41<" in html


def test_a_bad_screen_form_is_refused_and_nothing_is_written(
        app: Flask, client: FlaskClient, editor: StaffUser) -> None:
    screen_with([], name="lobby")
    before = _count(Screen)
    for data, message in (
        ({"name": "Lobby 1"}, "只能用小写英文字母"),
        ({"name": "lobby"}, "这个名称已被使用"),
        ({"name": "east", "orientation": "sideways"}, "请从列表中选择"),
        ({"name": "east", "group": "999"}, "请从列表中选择"),
        ({"name": ""}, "此项必填"),
    ):
        response = _post(client, "/staff/screens/new",
                         {"orientation": "landscape", "title": "x", **data})
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    assert _count(Screen) == before


def test_remote_reload_gives_a_new_token_and_is_audited(
        app: Flask, client: FlaskClient, editor: StaffUser) -> None:
    screen = screen_with([])
    token = screen.reload_token
    response = _post(client, f"/staff/screens/{screen.id}/reload",
                     {"next": f"/staff/screens/{screen.id}"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/screens/{screen.id}")
    db.session.expire_all()
    assert db.session.get(Screen, screen.id).reload_token != token
    assert _audits("reload", "screen")[0].object_label == "大厅主屏"


def test_the_preview_frames_the_real_page_without_heartbeats(
        app: Flask, client: FlaskClient, editor: StaffUser) -> None:
    screen = screen_with([], orientation="portrait")
    html = client.get(f"/staff/screens/{screen.id}/preview").get_data(as_text=True)
    assert 'src="/screens/lobby?preview=1"' in html
    assert "preview-portrait" in html and "<iframe" in html and "title=" in html


def test_delete_a_screen(app: Flask, client: FlaskClient, editor: StaffUser) -> None:
    screen = screen_with([])
    assert _post(client, f"/staff/screens/{screen.id}/delete", {}).status_code == 303
    assert _count(Screen) == 0
    assert _audits("delete", "screen")


# -- groups -----------------------------------------------------------------------------------


def test_groups_crud(app: Flask, client: FlaskClient, editor: StaffUser) -> None:
    playlist = Playlist(name="day")
    db.session.add(playlist)
    db.session.commit()
    assert _post(client, "/staff/screens/groups/new", {
        "name": "floor-1", "title": "一楼", "playlist": str(playlist.id)}).status_code == 303
    group = db.session.scalars(select(ScreenGroup)).one()
    assert (group.name, group.playlist_id) == ("floor-1", playlist.id)
    assert "一楼" in client.get("/staff/screens/groups/").get_data(as_text=True)
    bad = _post(client, "/staff/screens/groups/new", {"name": "floor-1", "title": "重复"})
    assert bad.status_code == 422 and "这个名称已被使用" in bad.get_data(as_text=True)
    assert _post(client, f"/staff/screens/groups/{group.id}",
                 {"name": "floor-1", "title": "一楼大厅", "playlist": ""}).status_code == 303
    db.session.refresh(group)
    assert (group.title, group.playlist_id) == ("一楼大厅", None)
    screen = screen_with([], group=None)
    screen.group = group
    db.session.commit()
    assert _post(client, f"/staff/screens/groups/{group.id}/delete", {}).status_code == 303
    db.session.expire_all()
    assert _count(ScreenGroup) == 0 and db.session.get(Screen, screen.id).group_id is None


# -- playlists and slides ---------------------------------------------------------------------


def test_playlist_with_slides_in_order(app: Flask, client: FlaskClient,
                                       editor: StaffUser) -> None:
    first, second = notice("第一条通知"), policy("第二份文件")
    db.session.commit()
    response = _post(client, "/staff/screens/playlists/new",
                     {"name": "weekday", "title": "工作日", **_schedule(
                         weekdays=["0", "1", "2", "3", "4"], window_start="22:00",
                         window_end="06:00")})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    playlist = db.session.scalars(select(Playlist)).one()
    assert playlist.weekdays == 0b0011111
    assert (playlist.window_start, playlist.window_end) == (dt.time(22), dt.time(6))

    form = client.get(f"/staff/screens/playlists/{playlist.id}/items/new")
    assert "第一条通知" in form.get_data(as_text=True)
    for data in ({"kind": "notice", "notice": str(first.id), "duration": "12"},
                 {"kind": "policy", "policy": str(second.id), "duration": "20",
                  "title": "条例卡片", "text": "扫码阅读全文"}):
        response = _post(client, f"/staff/screens/playlists/{playlist.id}/items/new",
                         {"enabled": "y", **_schedule(), **data})
        assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    db.session.refresh(playlist)
    items = list(playlist.items)
    assert [(i.kind, i.duration) for i in items] == [("notice", 12), ("policy", 20)]
    assert items[1].title == "条例卡片" and items[1].text == "扫码阅读全文"
    assert items[0].policy_id is None and items[1].notice_id is None

    page = client.get(f"/staff/screens/playlists/{playlist.id}").get_data(as_text=True)
    page = page[page.index('id="items"'):]
    assert page.index("第一条通知") < page.index("条例卡片")

    assert _post(client, f"/staff/screens/items/{items[1].id}/move",
                 {"direction": "up"}).status_code == 303
    db.session.expire_all()
    playlist = db.session.get(Playlist, playlist.id)
    assert [i.id for i in playlist.items] == [items[1].id, items[0].id]
    assert _audits("move", "screen_playlist_item")
    # already at the top: nothing moves
    _post(client, f"/staff/screens/items/{items[1].id}/move", {"direction": "up"})
    db.session.expire_all()
    assert [i.id for i in db.session.get(Playlist, playlist.id).items] == [
        items[1].id, items[0].id]

    assert _post(client, f"/staff/screens/items/{items[0].id}",
                 {"kind": "notice", "notice": str(first.id), "duration": "30",
                  **_schedule()}).status_code == 303
    db.session.expire_all()
    edited = db.session.get(PlaylistItem, items[0].id)
    assert edited.duration == 30 and edited.enabled is False  # unchecked box: disabled

    assert _post(client, f"/staff/screens/items/{items[0].id}/delete", {}).status_code == 303
    assert _count(PlaylistItem) == 1
    assert _post(client, f"/staff/screens/playlists/{playlist.id}/delete",
                 {}).status_code == 303
    assert _count(Playlist) == 0 and _count(PlaylistItem) == 0


def test_only_published_content_is_offered(app: Flask, client: FlaskClient,
                                           editor: StaffUser) -> None:
    notice("已经发布的通知")
    notice("还是草稿的通知", status=PubStatus.DRAFT)
    playlist = Playlist(name="day")
    db.session.add(playlist)
    db.session.commit()
    html = client.get(f"/staff/screens/playlists/{playlist.id}/items/new").get_data(True)
    assert "已经发布的通知" in html and "还是草稿的通知" not in html


@pytest.mark.parametrize(("fields", "message"), [
    ({"start_at": "2026-07-01T08:00", "end_at": "2026-06-01T08:00"}, "结束时间必须晚于开始时间"),
    ({"start_at": "2026-07-01T08:00", "end_at": "2026-07-01T08:00"}, "结束时间必须晚于开始时间"),
    ({"weekdays": []}, "请至少选择一天"),
    ({"weekdays": ["7"]}, "请从列表中选择"),
    ({"duration": "0"}, "播放时长应在 3 到 600 秒之间"),
    ({"duration": "601"}, "播放时长应在 3 到 600 秒之间"),
    ({"duration": "abc"}, "请填写一个整数"),
    ({"duration": ""}, "此项必填"),
    ({"window_start": "25:00"}, "时间无效"),
    ({"start_at": "yesterday"}, "时间无效"),
    ({"notice": ""}, "请选择这张幻灯片要显示的内容"),
    ({"kind": "music"}, "请从列表中选择"),
    ({"title": "长" * 301}, "最多 300 个字"),
])
def test_a_bad_slide_is_refused_and_nothing_is_written(
        app: Flask, client: FlaskClient, editor: StaffUser, fields: dict[str, Any],
        message: str) -> None:
    shown = notice()
    playlist = Playlist(name="day")
    db.session.add(playlist)
    db.session.commit()
    audits = _count(AuditEntry)
    data = {"kind": "notice", "notice": str(shown.id), "duration": "15", **_schedule(), **fields}
    response = _post(client, f"/staff/screens/playlists/{playlist.id}/items/new", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "没有保存" in html
    assert _count(PlaylistItem) == 0
    assert _count(AuditEntry) == audits


def test_a_bad_playlist_schedule_keeps_the_stored_one(
        app: Flask, client: FlaskClient, editor: StaffUser) -> None:
    playlist = Playlist(name="day", title="白天")
    db.session.add(playlist)
    db.session.commit()
    response = _post(client, f"/staff/screens/playlists/{playlist.id}", {
        "name": "day", "title": "改了", **_schedule(weekdays=[])})
    assert response.status_code == 422 and "请至少选择一天" in response.get_data(True)
    db.session.expire_all()
    stored = db.session.get(Playlist, playlist.id)
    assert (stored.title, stored.weekdays) == ("白天", 127)


# -- ticker -----------------------------------------------------------------------------------


def test_ticker_lines(app: Flask, client: FlaskClient, editor: StaffUser) -> None:
    for text in ("第一条字幕", "第二条字幕"):
        assert _post(client, "/staff/screens/ticker/new",
                     {"text": text, "enabled": "y", **_schedule()}).status_code == 303
    rows = db.session.scalars(select(TickerItem).order_by(TickerItem.position)).all()
    assert [r.text for r in rows] == ["第一条字幕", "第二条字幕"]
    assert _post(client, f"/staff/screens/ticker/{rows[1].id}/move",
                 {"direction": "up"}).status_code == 303
    db.session.expire_all()
    rows = db.session.scalars(select(TickerItem).order_by(TickerItem.position)).all()
    assert [r.text for r in rows] == ["第二条字幕", "第一条字幕"]
    too_long = _post(client, "/staff/screens/ticker/new", {"text": "字" * 201, **_schedule()})
    assert too_long.status_code == 422 and "最多 200 个字" in too_long.get_data(True)
    bad = _post(client, f"/staff/screens/ticker/{rows[0].id}",
                {"text": "改了", **_schedule(weekdays=[])})
    assert bad.status_code == 422
    db.session.expire_all()
    assert db.session.get(TickerItem, rows[0].id).text == "第二条字幕"
    assert _post(client, f"/staff/screens/ticker/{rows[0].id}",
                 {"text": "改了", "enabled": "y", **_schedule()}).status_code == 303
    assert _post(client, f"/staff/screens/ticker/{rows[1].id}/delete", {}).status_code == 303
    db.session.expire_all()
    assert [r.text for r in db.session.scalars(select(TickerItem))] == ["改了"]
    assert len(_audits("create", "screen_ticker_item")) == 2
    assert _audits("delete", "screen_ticker_item")


# -- emergency messages -----------------------------------------------------------------------


def test_an_emergency_for_a_group_reaches_only_its_screens_and_clears(
        app: Flask, client: FlaskClient, editor: StaffUser) -> None:
    screen_with([], name="east", group="floor-1")
    screen_with([], name="west")
    group = db.session.scalars(select(ScreenGroup)).one()
    response = _post(client, "/staff/screens/emergency/send", {
        "title": "临时通知", "text": "请从东门离开", "target": "group",
        "group": str(group.id), "screen": "", "until": ""})
    assert response.status_code == 303
    assert build_state("east")["emergency"]["text"] == "请从东门离开"
    assert build_state("west")["emergency"] is None
    message = db.session.scalars(select(EmergencyMessage)).one()
    assert (message.target, message.target_name, message.created_by) == (
        "group", "floor-1", editor.username)
    assert _audits("send", "screen_emergency")
    assert "请从东门离开" in client.get("/staff/screens/emergency/").get_data(True)

    assert _post(client, f"/staff/screens/emergency/{message.id}/clear",
                 {}).status_code == 303
    db.session.expire_all()
    assert build_state("east")["emergency"] is None
    assert _audits("clear", "screen_emergency")


def test_a_bad_emergency_is_refused(app: Flask, client: FlaskClient,
                                    editor: StaffUser) -> None:
    past = "2020-01-01T08:00"
    for data, message in (
        ({"text": ""}, "此项必填"),
        ({"text": "x", "target": "group", "group": ""}, "请选择要发送到的分组"),
        ({"text": "x", "target": "screen", "screen": ""}, "请选择要发送到的屏幕"),
        ({"text": "x", "until": past}, "到期时间必须晚于现在"),
    ):
        response = _post(client, "/staff/screens/emergency/send",
                         {"target": "all", "title": "", "group": "", "screen": "",
                          "until": "", **data})
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    assert _count(EmergencyMessage) == 0


# -- push -------------------------------------------------------------------------------------


def test_a_change_is_pushed_to_the_screens_it_concerns(
        app: Flask, client: FlaskClient, editor: StaffUser, live_server: LiveServer) -> None:
    screen_with([], name="east")
    screen_with([], name="west")
    east = ScreenClient(live_server.url, "east").connect()
    west = ScreenClient(live_server.url, "west").connect()
    try:
        east.next(), west.next()  # the snapshot on connect
        _post(client, "/staff/screens/ticker/new",
              {"text": "新的字幕", "enabled": "y", **_schedule()})
        for screen in (east, west):
            assert screen.next()["ticker"][0]["text"] == "新的字幕"

        target = db.session.scalars(select(Screen).where(Screen.name == "east")).one()
        _post(client, "/staff/screens/emergency/send", {
            "text": "只给东屏", "target": "screen", "screen": str(target.id), "title": "",
            "group": "", "until": ""})
        assert east.next()["emergency"]["text"] == "只给东屏"
        assert west.nothing_within(0.3)

        _post(client, f"/staff/screens/{target.id}/reload", {})
        assert east.next("reload")["reload"] == db.session.get(Screen, target.id).reload_token
    finally:
        east.close()
        west.close()


# -- roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CLERK, Role.OFFICER])
def test_other_roles_may_not_open_the_pages(app: Flask, client: FlaskClient,
                                            login_as: Callable[..., StaffUser],
                                            role: str) -> None:
    login_as(role)
    assert client.get("/staff/screens/").status_code == 403
    response = _post_with_token(client, "/staff/screens/ticker/new",
                                {"text": "x", **_schedule()})
    assert response.status_code == 403
    assert _count(TickerItem) == 0


def _post_with_token(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client), **data})


def test_admins_may_and_the_menu_links_the_pages(
        app: Flask, client: FlaskClient, login_as: Callable[..., StaffUser]) -> None:
    login_as(Role.ADMIN)
    assert client.get("/staff/screens/").status_code == 200
    assert 'href="/staff/screens/"' in client.get("/staff/").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(app: Flask, client: FlaskClient) -> None:
    ticker("已有字幕")
    assert client.get("/staff/screens/").status_code == 302
    assert client.post("/staff/screens/ticker/new", data={"text": "x"}).status_code in (
        400, 401)
    assert _count(TickerItem) == 1


def test_posts_without_the_csrf_token_are_refused(app: Flask, client: FlaskClient,
                                                   editor: StaffUser) -> None:
    response = client.post("/staff/screens/ticker/new", data={"text": "x", **_schedule()})
    assert response.status_code == 400 and _count(TickerItem) == 0
