"""Staff pages for the lobby screens: the registry (who is online, what is on air), screens and
groups, playlists and their slides, ticker lines, emergency messages, remote reload, preview.

Thin: parse the form (``screens.staff_forms``), look up linked rows, write through
``screens.services`` (audit, commit, then ``screens_changed`` so the screens update), render.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from content.models import Interpretation, MediaFile, Notice, Policy, PubStatus
from hall.auth import current_user, register_nav, role_required, safe_next
from hall.db import utcnow
from hall.extensions import db
from hall.models import Role
from hall.timefmt import local_datetime
from screens import registry, services
from screens.models import (
    EmergencyMessage,
    EmergencyTarget,
    Playlist,
    PlaylistItem,
    Screen,
    ScreenGroup,
    SlideKind,
    TickerItem,
)
from screens.staff_forms import (
    KIND_LABELS,
    ORIENTATION_LABELS,
    TARGET_LABELS,
    WEEKDAY_LABELS,
    EmergencyForm,
    GroupForm,
    ItemForm,
    PlaylistForm,
    ScreenForm,
    TickerForm,
    options,
)

bp = Blueprint("screens_staff", __name__, url_prefix="/staff/screens",
               template_folder="templates")

#: The sections of the screens' pages, for the tabs at the top of each.
TABS = [("screens_staff.index", _l("屏幕")), ("screens_staff.groups", _l("分组")),
        ("screens_staff.playlists", _l("节目单")), ("screens_staff.ticker", _l("滚动字幕")),
        ("screens_staff.emergency", _l("紧急通知"))]
#: How many published items of each kind the slide form offers (newest first).
CONTENT_CHOICES = 500
RECENT_EMERGENCIES = 20


def _get(model: type[Any], ident: int) -> Any:
    row = db.session.get(model, ident)
    if row is None:
        abort(404)
    return row


def _tab(endpoint: str) -> str:
    """The tab a page belongs to (a screen's edit page is under 屏幕, a slide's under 节目单)."""
    view = endpoint.rsplit(".", 1)[-1]
    for prefix, tab in (("group", "groups"), ("playlist", "playlists"), ("item", "playlists"),
                        ("ticker", "ticker"), ("emergency", "emergency")):
        if view.startswith(prefix):
            return f"screens_staff.{tab}"
    return "screens_staff.index"


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("tabs", TABS)
    context.setdefault("tab", _tab(request.endpoint or ""))
    return render_template(f"screens/staff/{template}", **context), status


def _flash_saved(changed: bool, label: str) -> None:
    if changed:
        flash(_("已保存“%(title)s”。", title=label), "success")
    else:
        flash(_("没有改动。"), "success")


def _name_taken(model: type[Any], name: str, row: Any) -> bool:
    found = db.session.scalar(select(model.id).where(model.name == name))
    return found is not None and (row is None or found != row.id)


def _check_name(form: Any, model: type[Any], row: Any) -> bool:
    if form.name.errors or not _name_taken(model, form.name.data or "", row):
        return True
    form.name.errors = [*form.name.errors, _("这个名称已被使用，请换一个。")]
    return False


def _playlist_choices() -> list[SelectChoice]:
    rows = db.session.scalars(select(Playlist).order_by(Playlist.name)).all()
    return options([("", _("（无）")),
                    *((p.id, f"{p.title}（{p.name}）" if p.title else p.name) for p in rows)])


def _group_choices(empty: str) -> list[SelectChoice]:
    rows = db.session.scalars(select(ScreenGroup).order_by(ScreenGroup.name)).all()
    return options([("", empty),
                    *((g.id, f"{g.title}（{g.name}）" if g.title else g.name) for g in rows)])


def _screen_choices(empty: str) -> list[SelectChoice]:
    rows = db.session.scalars(select(Screen).order_by(Screen.name)).all()
    return options([("", empty),
                    *((s.id, f"{s.title}（{s.name}）" if s.title else s.name) for s in rows)])


# -- screens ----------------------------------------------------------------------------------


def _on_air_labels(names: list[str]) -> dict[str, str]:
    """What each screen said it shows ("item-12"), as the slide's title where known."""
    out: dict[str, str] = {}
    rows = db.session.execute(select(Screen.name, Screen.on_air)
                              .where(Screen.name.in_(names))).all()
    for name, on_air in rows:
        label = on_air or ""
        if on_air.startswith("item-") and on_air[5:].isascii() and on_air[5:].isdigit():
            item = db.session.get(PlaylistItem, int(on_air[5:]))
            if item is not None:
                label = _item_label(item)
        out[name] = label
    return out


@bp.get("/")
@role_required(Role.EDITOR)
def index() -> tuple[str, int]:
    """Every screen with its registry line (online, last seen, on air, version)."""
    lines = registry.overview()
    ids: dict[str, int] = {name: ident for name, ident in
                           db.session.execute(select(Screen.name, Screen.id))}
    return _page("index.html", title=_l("大厅屏幕"), lines=lines, ids=ids,
                 on_air=_on_air_labels([line.name for line in lines]),
                 orientations=ORIENTATION_LABELS)


def _screen_form(screen: Screen | None) -> tuple[str, int] | Response:
    form = ScreenForm()
    if request.method == "GET" and screen is not None:
        form.load(screen)
    if screen is not None:
        form.name.data = screen.name  # the address of a screen never changes
    form.group.choices = _group_choices(_("（无）"))
    form.playlist.choices = _playlist_choices()
    status = 200
    if request.method == "POST":
        valid = form.validate()
        if screen is None:
            valid = _check_name(form, Screen, None) and valid
        if valid:
            row = screen if screen is not None else Screen(name=form.name.data)
            before = None if screen is None else _snapshot(screen)
            changed = services.save(row, before, form.fields())
            _flash_saved(changed, services.label_of(row))
            return redirect(url_for(".screen_edit", screen_id=row.id), 303)
        status = 422
    return _page("screen_form.html", status,
                 title=_l("新建屏幕") if screen is None else _l("编辑屏幕"),
                 form=form, screen=screen, errors=form.all_errors())


def _snapshot(row: Any) -> dict[str, Any]:
    return services.snapshot(row)


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def screen_new() -> tuple[str, int] | Response:
    return _screen_form(None)


@bp.route("/<int:screen_id>", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def screen_edit(screen_id: int) -> tuple[str, int] | Response:
    return _screen_form(_get(Screen, screen_id))


@bp.post("/<int:screen_id>/delete")
@role_required(Role.EDITOR)
def screen_delete(screen_id: int) -> Response:
    screen = _get(Screen, screen_id)
    label = services.label_of(screen)
    services.delete(screen)
    flash(_("已删除“%(title)s”。", title=label), "success")
    return redirect(url_for(".index"), 303)


@bp.post("/<int:screen_id>/reload")
@role_required(Role.EDITOR)
def screen_reload(screen_id: int) -> Response:
    """Tell the screen to reload its page (a new reload token, pushed at once)."""
    screen = _get(Screen, screen_id)
    services.record_reload(screen)
    registry.remote_reload(screen.name)
    flash(_("已通知“%(title)s”重新载入页面。", title=services.label_of(screen)), "success")
    return redirect(safe_next(request.form.get("next"), url_for(".index")), 303)


@bp.get("/<int:screen_id>/preview")
@role_required(Role.EDITOR)
def screen_preview(screen_id: int) -> tuple[str, int]:
    """The real screen page in a scaled-down frame (``?preview=1``: not a heartbeat)."""
    screen = _get(Screen, screen_id)
    return _page("preview.html", title=_l("预览"), screen=screen,
                 src=url_for("screens.screen", name=screen.name, preview=1),
                 orientations=ORIENTATION_LABELS)


# -- groups -----------------------------------------------------------------------------------


@bp.get("/groups/")
@role_required(Role.EDITOR)
def groups() -> tuple[str, int]:
    rows = db.session.scalars(select(ScreenGroup).order_by(ScreenGroup.name)).all()
    return _page("groups.html", title=_l("屏幕分组"), rows=rows)


def _group_form(group: ScreenGroup | None) -> tuple[str, int] | Response:
    form = GroupForm()
    if request.method == "GET" and group is not None:
        form.load(group)
    form.playlist.choices = _playlist_choices()
    status = 200
    if request.method == "POST":
        valid = form.validate()
        valid = _check_name(form, ScreenGroup, group) and valid
        if valid:
            row = group if group is not None else ScreenGroup()
            changed = services.save(row, None if group is None else _snapshot(group),
                                    form.fields())
            _flash_saved(changed, services.label_of(row))
            return redirect(url_for(".groups"), 303)
        status = 422
    return _page("group_form.html", status,
                 title=_l("新建分组") if group is None else _l("编辑分组"), form=form,
                 group=group, errors=form.all_errors())


@bp.route("/groups/new", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def group_new() -> tuple[str, int] | Response:
    return _group_form(None)


@bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def group_edit(group_id: int) -> tuple[str, int] | Response:
    return _group_form(_get(ScreenGroup, group_id))


@bp.post("/groups/<int:group_id>/delete")
@role_required(Role.EDITOR)
def group_delete(group_id: int) -> Response:
    group = _get(ScreenGroup, group_id)
    label = services.label_of(group)
    services.delete(group)
    flash(_("已删除“%(title)s”。", title=label), "success")
    return redirect(url_for(".groups"), 303)


# -- playlists --------------------------------------------------------------------------------


def _schedule_text(row: Any) -> str:
    """A one-line summary of a row's schedule for lists."""
    parts = []
    if row.start_at or row.end_at:
        parts.append(f"{local_datetime(row.start_at) if row.start_at else '…'} – "
                     f"{local_datetime(row.end_at) if row.end_at else '…'}")
    if row.weekdays != 0b1111111:
        parts.append("、".join(str(WEEKDAY_LABELS[i]) for i in range(7)
                              if row.weekdays & (1 << i)))
    if row.window_start or row.window_end:
        start = row.window_start.strftime("%H:%M") if row.window_start else "00:00"
        end = row.window_end.strftime("%H:%M") if row.window_end else "24:00"
        parts.append(f"{start}–{end}")
    return " · ".join(parts) or _("一直播放")


@bp.get("/playlists/")
@role_required(Role.EDITOR)
def playlists() -> tuple[str, int]:
    rows = db.session.scalars(select(Playlist).order_by(Playlist.name)).all()
    return _page("playlists.html", title=_l("节目单"), rows=rows, schedule_text=_schedule_text)


def _playlist_form(playlist: Playlist | None) -> tuple[str, int] | Response:
    form = PlaylistForm()
    if request.method == "GET":
        if playlist is not None:
            form.load(playlist)
        else:
            form.defaults()
    status = 200
    if request.method == "POST":
        valid = form.validate()
        valid = _check_name(form, Playlist, playlist) and valid
        if valid:
            row = playlist if playlist is not None else Playlist()
            changed = services.save(row, None if playlist is None else _snapshot(playlist),
                                    form.fields())
            _flash_saved(changed, services.label_of(row))
            return redirect(url_for(".playlist_edit", playlist_id=row.id), 303)
        status = 422
    return _page("playlist_form.html", status,
                 title=_l("新建节目单") if playlist is None else _l("编辑节目单"), form=form,
                 playlist=playlist, errors=form.all_errors(), kinds=KIND_LABELS,
                 item_label=_item_label, schedule_text=_schedule_text)


@bp.route("/playlists/new", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def playlist_new() -> tuple[str, int] | Response:
    return _playlist_form(None)


@bp.route("/playlists/<int:playlist_id>", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def playlist_edit(playlist_id: int) -> tuple[str, int] | Response:
    return _playlist_form(_get(Playlist, playlist_id))


@bp.post("/playlists/<int:playlist_id>/delete")
@role_required(Role.EDITOR)
def playlist_delete(playlist_id: int) -> Response:
    playlist = _get(Playlist, playlist_id)
    label = services.label_of(playlist)
    services.delete(playlist)
    flash(_("已删除“%(title)s”。", title=label), "success")
    return redirect(url_for(".playlists"), 303)


# -- slides -----------------------------------------------------------------------------------


def _item_label(item: PlaylistItem) -> str:
    """The slide's own title, else the title of what it shows."""
    if item.title:
        return item.title
    linked: Any = None
    if item.kind == SlideKind.NOTICE and item.notice_id:
        linked = db.session.get(Notice, item.notice_id)
    elif item.kind == SlideKind.POLICY and item.policy_id:
        linked = db.session.get(Policy, item.policy_id)
    elif item.kind == SlideKind.INTERPRETATION and item.interpretation_id:
        linked = db.session.get(Interpretation, item.interpretation_id)
    if linked is not None:
        return str(linked.title)
    return item.media or _("（内容已删除）")


def _content_choices(model: type[Any], current: int | None) -> list[SelectChoice]:
    """Published rows of ``model`` (newest first), keeping the slide's current one."""
    rows = db.session.execute(
        select(model.id, model.title).where(model.status == PubStatus.PUBLISHED)
        .order_by(model.id.desc()).limit(CONTENT_CHOICES)).all()
    pairs: list[tuple[Any, str]] = [("", _("请选择")), *((i, t) for i, t in rows)]
    if current is not None and current not in {i for i, _t in rows}:
        row = db.session.get(model, current)
        if row is not None:
            pairs.append((row.id, _("%(title)s（未发布，不会播放）", title=row.title)))
    return options(pairs)


def _media_choices(kind: str, current: str) -> list[SelectChoice]:
    files = db.session.scalars(select(MediaFile).where(MediaFile.kind == kind)
                               .order_by(MediaFile.uploaded_at.desc(), MediaFile.id.desc())).all()
    pairs: list[tuple[Any, str]] = [("", _("请选择"))]
    pairs += [(m.filename, f"{m.original_name or m.filename}（{m.filename}）") for m in files]
    if current and current not in {value for value, _label in pairs}:
        pairs.append((current, current))
    return options(pairs)


def _item_choices(form: ItemForm, item: PlaylistItem | None) -> None:
    form.notice.choices = _content_choices(Notice, item.notice_id if item else None)
    form.policy.choices = _content_choices(Policy, item.policy_id if item else None)
    form.interpretation.choices = _content_choices(
        Interpretation, item.interpretation_id if item else None)
    media = item.media if item else ""
    form.image.choices = _media_choices("image", media if item and item.kind == "image" else "")
    form.video.choices = _media_choices("video", media if item and item.kind == "video" else "")


def _item_form(playlist: Playlist, item: PlaylistItem | None) -> tuple[str, int] | Response:
    form = ItemForm()
    if request.method == "GET":
        if item is not None:
            form.load(item)
        else:
            form.defaults()
    _item_choices(form, item)
    status = 200
    if request.method == "POST":
        if form.validate():
            row = item if item is not None else PlaylistItem(
                playlist_id=playlist.id, position=services.next_position(playlist.items))
            changed = services.save(row, None if item is None else _snapshot(item),
                                    form.fields())
            _flash_saved(changed, _item_label(row))
            return redirect(url_for(".playlist_edit", playlist_id=playlist.id), 303)
        status = 422
    return _page("item_form.html", status,
                 title=_l("添加幻灯片") if item is None else _l("编辑幻灯片"), form=form,
                 playlist=playlist, item=item, errors=form.all_errors())


@bp.route("/playlists/<int:playlist_id>/items/new", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def item_new(playlist_id: int) -> tuple[str, int] | Response:
    return _item_form(_get(Playlist, playlist_id), None)


@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def item_edit(item_id: int) -> tuple[str, int] | Response:
    item = _get(PlaylistItem, item_id)
    return _item_form(item.playlist, item)


def _step() -> int:
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        abort(400)
    return -1 if direction == "up" else 1


@bp.post("/items/<int:item_id>/move")
@role_required(Role.EDITOR)
def item_move(item_id: int) -> Response:
    item = _get(PlaylistItem, item_id)
    step = _step()
    playlist = item.playlist
    services.move(list(playlist.items), item, step)
    return redirect(url_for(".playlist_edit", playlist_id=playlist.id, _anchor="items"), 303)


@bp.post("/items/<int:item_id>/delete")
@role_required(Role.EDITOR)
def item_delete(item_id: int) -> Response:
    item = _get(PlaylistItem, item_id)
    playlist_id, label = item.playlist_id, _item_label(item)
    services.delete(item)
    flash(_("已删除“%(title)s”。", title=label), "success")
    return redirect(url_for(".playlist_edit", playlist_id=playlist_id, _anchor="items"), 303)


# -- ticker -----------------------------------------------------------------------------------


def _ticker_rows() -> list[TickerItem]:
    return list(db.session.scalars(select(TickerItem)
                                   .order_by(TickerItem.position, TickerItem.id)))


@bp.get("/ticker/")
@role_required(Role.EDITOR)
def ticker() -> tuple[str, int]:
    return _page("ticker.html", title=_l("滚动字幕"), rows=_ticker_rows(),
                 schedule_text=_schedule_text)


def _ticker_form(line: TickerItem | None) -> tuple[str, int] | Response:
    form = TickerForm()
    if request.method == "GET":
        if line is not None:
            form.load(line)
        else:
            form.defaults()
    status = 200
    if request.method == "POST":
        if form.validate():
            row = line if line is not None else TickerItem(
                position=services.next_position(_ticker_rows()))
            changed = services.save(row, None if line is None else _snapshot(line),
                                    form.fields())
            _flash_saved(changed, services.label_of(row))
            return redirect(url_for(".ticker"), 303)
        status = 422
    return _page("ticker_form.html", status,
                 title=_l("新建字幕") if line is None else _l("编辑字幕"), form=form,
                 line=line, errors=form.all_errors())


@bp.route("/ticker/new", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def ticker_new() -> tuple[str, int] | Response:
    return _ticker_form(None)


@bp.route("/ticker/<int:line_id>", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def ticker_edit(line_id: int) -> tuple[str, int] | Response:
    return _ticker_form(_get(TickerItem, line_id))


@bp.post("/ticker/<int:line_id>/move")
@role_required(Role.EDITOR)
def ticker_move(line_id: int) -> Response:
    line = _get(TickerItem, line_id)
    step = _step()
    services.move(_ticker_rows(), line, step)
    return redirect(url_for(".ticker"), 303)


@bp.post("/ticker/<int:line_id>/delete")
@role_required(Role.EDITOR)
def ticker_delete(line_id: int) -> Response:
    line = _get(TickerItem, line_id)
    label = services.label_of(line)
    services.delete(line)
    flash(_("已删除“%(title)s”。", title=label), "success")
    return redirect(url_for(".ticker"), 303)


# -- emergency messages -----------------------------------------------------------------------


def _emergency_page(form: EmergencyForm, status: int = 200) -> tuple[str, int]:
    recent = db.session.scalars(
        select(EmergencyMessage)
        .order_by(EmergencyMessage.created_at.desc(), EmergencyMessage.id.desc())
        .limit(RECENT_EMERGENCIES)).all()
    now = utcnow()
    return _page("emergency.html", status, title=_l("紧急通知"), form=form,
                 errors=form.all_errors(), active=[m for m in recent if m.active(now)],
                 past=[m for m in recent if not m.active(now)], targets=TARGET_LABELS)


def _emergency_form() -> EmergencyForm:
    form = EmergencyForm()
    form.group.choices = _group_choices(_("请选择"))
    form.screen.choices = _screen_choices(_("请选择"))
    return form


@bp.get("/emergency/")
@role_required(Role.EDITOR)
def emergency() -> tuple[str, int]:
    return _emergency_page(_emergency_form())


@bp.post("/emergency/send")
@role_required(Role.EDITOR)
def emergency_send() -> tuple[str, int] | Response:
    form = _emergency_form()
    if not form.validate():
        return _emergency_page(form, 422)
    target = form.target.data or EmergencyTarget.ALL.value
    target_name = ""
    if target == EmergencyTarget.GROUP:
        target_name = _get(ScreenGroup, form.group.data or 0).name
    elif target == EmergencyTarget.SCREEN:
        target_name = _get(Screen, form.screen.data or 0).name
    user = current_user()
    message = services.send_emergency(
        {"title": form.title.data or "", "text": form.text.data, "target": target,
         "target_name": target_name, "until": form.until.data},
        user.username if user else "")
    flash(_("已发送紧急通知“%(title)s”。", title=services.label_of(message)), "success")
    return redirect(url_for(".emergency"), 303)


@bp.post("/emergency/<int:message_id>/clear")
@role_required(Role.EDITOR)
def emergency_clear(message_id: int) -> Response:
    message = _get(EmergencyMessage, message_id)
    if services.clear_emergency(message):
        flash(_("已清除紧急通知“%(title)s”。", title=services.label_of(message)), "success")
    else:
        flash(_("这条紧急通知已经清除。"), "success")
    return redirect(url_for(".emergency"), 303)


def init_app(app: Flask) -> None:
    """Register the pages and the 大厅屏幕 menu link."""
    app.register_blueprint(bp)
    register_nav(app, _l("大厅屏幕"), "screens_staff.index", Role.EDITOR, order=50)

