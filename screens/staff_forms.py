"""Forms of the screens' staff pages: screens, groups, playlists and their slides, ticker lines,
emergency messages. Every field is checked on the server with a Chinese message; the schedule
fields (start/end in hall time, weekdays, a daily window that may cross midnight) are shared.

Each form fills itself from a row with ``load()`` and gives the attributes to set with
``fields()``; the view looks up the ids and writes through ``screens.services``.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from content.staff_forms import Choice, LocalDateTimeField
from hall.db import utcnow
from hall.forms import (
    ClockField,
    IdSelect,
    ParsedField,
    StaffForm,
    length,
    max_length,
    options,
    required,
    strip,
)
from screens.models import (
    ALL_WEEKDAYS,
    EmergencyMessage,
    EmergencyTarget,
    Orientation,
    Playlist,
    PlaylistItem,
    Screen,
    ScreenGroup,
    SlideKind,
    TickerItem,
)

MIN_DURATION = 3
MAX_DURATION = 600
MAX_TICKER_CHARS = 200
MAX_EMERGENCY_CHARS = 2000
#: Names are part of addresses (``/screens/<name>``) and room names: a plain slug.
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")

WEEKDAY_LABELS = [_l("周一"), _l("周二"), _l("周三"), _l("周四"), _l("周五"), _l("周六"),
                  _l("周日")]
ORIENTATION_LABELS: dict[str, Any] = {
    Orientation.LANDSCAPE.value: _l("横屏（1920×1080）"),
    Orientation.PORTRAIT.value: _l("竖屏（1080×1920）"),
}
KIND_LABELS: dict[str, Any] = {
    SlideKind.NOTICE.value: _l("通知公告"),
    SlideKind.POLICY.value: _l("政策卡片"),
    SlideKind.INTERPRETATION.value: _l("政策解读"),
    SlideKind.IMAGE.value: _l("图片"),
    SlideKind.VIDEO.value: _l("视频"),
    SlideKind.SUGGESTIONS.value: _l("意见建议答复（最新公开的答复）"),
}
TARGET_LABELS: dict[str, Any] = {
    EmergencyTarget.ALL.value: _l("全部屏幕"),
    EmergencyTarget.GROUP.value: _l("一个屏幕分组"),
    EmergencyTarget.SCREEN.value: _l("一块屏幕"),
}



class WholeNumberField(ParsedField):
    """A whole number (seconds); the range is checked by the form."""

    widget = TextInput()

    def parse(self, text: str) -> int:
        if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 9:
            raise ValueError(_("请填写一个整数。"))
        return int(text)


class WeekdaysField(SelectMultipleField):
    """Seven checkboxes (Monday first) stored as a bitmask (Monday = bit 0)."""

    def __init__(self, label: Any, **kwargs: Any) -> None:
        super().__init__(label, choices=options((str(i), name)
                                                for i, name in enumerate(WEEKDAY_LABELS)),
                         widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                         **kwargs)

    def pre_validate(self, form: Any) -> None:
        allowed = {str(i) for i in range(7)}
        if any(str(v) not in allowed for v in self.data or []):
            raise ValidationError(_("请从列表中选择。"))

    @property
    def mask(self) -> int:
        return sum(1 << int(v) for v in self.data or [] if str(v) in {str(i) for i in range(7)})

    def set_mask(self, mask: int) -> None:
        self.data = [str(i) for i in range(7) if mask & (1 << i)]


def slug_problem(name: str) -> str:
    """Why ``name`` cannot name a screen, group or playlist ('' if it can)."""
    if not SLUG.match(name):
        return _("只能用小写英文字母、数字和连字符（-），并以字母或数字开头，例如 lobby-1。")
    return ""


class ScheduleForm(StaffForm):
    """The schedule fields every playlist, slide and ticker line carries."""

    start_at = LocalDateTimeField(_l("开始时间"))
    end_at = LocalDateTimeField(_l("结束时间"))
    weekdays = WeekdaysField(_l("播放日"))
    window_start = ClockField(_l("每天开始"))
    window_end = ClockField(_l("每天结束"))

    SCHEDULE_FIELDS = ("start_at", "end_at", "weekdays", "window_start", "window_end")

    def validate_end_at(self, field: Field) -> None:
        if field.data is not None and self.start_at.data is not None \
                and field.data <= self.start_at.data:
            raise ValidationError(_("结束时间必须晚于开始时间。"))

    def validate_weekdays(self, field: Field) -> None:
        if not self.weekdays.mask:
            raise ValidationError(_("请至少选择一天。"))

    def load_schedule(self, row: Any) -> None:
        self.start_at.data = row.start_at
        self.end_at.data = row.end_at
        self.weekdays.set_mask(row.weekdays if row.weekdays is not None else ALL_WEEKDAYS)
        self.window_start.data = row.window_start
        self.window_end.data = row.window_end

    def schedule(self) -> dict[str, Any]:
        return {"start_at": self.start_at.data, "end_at": self.end_at.data,
                "weekdays": self.weekdays.mask, "window_start": self.window_start.data,
                "window_end": self.window_end.data}

    def defaults(self) -> None:
        """A new row plays every day."""
        self.weekdays.set_mask(ALL_WEEKDAYS)


# -- screens and groups ----------------------------------------------------------------------


class ScreenForm(StaffForm):
    name = StringField(_l("屏幕名称（网址）"), filters=[strip],
                       validators=[required(), length(max_length(Screen.name))])
    title = StringField(_l("标题"), filters=[strip],
                        validators=[length(max_length(Screen.title))])
    orientation = Choice(_l("方向"), choices=options(ORIENTATION_LABELS.items()),
                         default=Orientation.LANDSCAPE.value)
    zone_header = BooleanField(_l("页眉（大厅名称、日期和时钟）"), default=True)
    zone_main = BooleanField(_l("主区（轮播节目）"), default=True)
    zone_ticker = BooleanField(_l("滚动字幕"), default=True)
    zone_side = BooleanField(_l("侧栏（叫号信息）"), default=False)
    group = IdSelect(_l("分组"))
    playlist = IdSelect(_l("节目单"))

    hints = {
        "name": _l("屏幕打开 /screens/名称；建好后不能再改。"),
        "playlist": _l("不选则播放所在分组的节目单。"),
    }

    def validate_name(self, field: Field) -> None:
        problem = slug_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def load(self, row: Screen) -> None:
        self.name.data, self.title.data, self.orientation.data = (
            row.name, row.title, row.orientation)
        for zone in ("header", "main", "ticker", "side"):
            self[f"zone_{zone}"].data = getattr(row, f"zone_{zone}")
        self.group.data, self.playlist.data = row.group_id, row.playlist_id

    def fields(self) -> dict[str, Any]:
        return {"title": self.title.data or "", "orientation": self.orientation.data,
                "zone_header": bool(self.zone_header.data),
                "zone_main": bool(self.zone_main.data),
                "zone_ticker": bool(self.zone_ticker.data),
                "zone_side": bool(self.zone_side.data),
                "group_id": self.group.data, "playlist_id": self.playlist.data}


class GroupForm(StaffForm):
    name = StringField(_l("分组名称"), filters=[strip],
                       validators=[required(), length(max_length(ScreenGroup.name))])
    title = StringField(_l("标题"), filters=[strip],
                        validators=[length(max_length(ScreenGroup.title))])
    playlist = IdSelect(_l("节目单"))

    hints = {"name": _l("小写英文字母、数字和连字符，例如 floor-1。")}

    def validate_name(self, field: Field) -> None:
        problem = slug_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def load(self, row: ScreenGroup) -> None:
        self.name.data, self.title.data, self.playlist.data = row.name, row.title, row.playlist_id

    def fields(self) -> dict[str, Any]:
        return {"name": self.name.data, "title": self.title.data or "",
                "playlist_id": self.playlist.data}


# -- playlists and slides --------------------------------------------------------------------


class PlaylistForm(ScheduleForm):
    name = StringField(_l("节目单名称"), filters=[strip],
                       validators=[required(), length(max_length(Playlist.name))])
    title = StringField(_l("标题"), filters=[strip],
                        validators=[length(max_length(Playlist.title))])

    hints = {"name": _l("小写英文字母、数字和连字符，例如 weekday。")}

    def validate_name(self, field: Field) -> None:
        problem = slug_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def load(self, row: Playlist) -> None:
        self.name.data, self.title.data = row.name, row.title
        self.load_schedule(row)

    def fields(self) -> dict[str, Any]:
        return {"name": self.name.data, "title": self.title.data or "", **self.schedule()}


class ItemForm(ScheduleForm):
    """One slide: what it shows (content by id, or a media file), its words and duration."""

    kind = Choice(_l("类型"), choices=options(KIND_LABELS.items()),
                  default=SlideKind.NOTICE.value)
    notice = IdSelect(_l("通知公告"))
    policy = IdSelect(_l("政策文件"))
    interpretation = IdSelect(_l("政策解读"))
    image = Choice(_l("图片文件"))
    video = Choice(_l("视频文件"))
    title = StringField(_l("标题"), filters=[strip],
                        validators=[length(max_length(PlaylistItem.title))])
    text = TextAreaField(_l("说明文字"), filters=[strip], validators=[length(1000)])
    duration = WholeNumberField(_l("播放秒数"), default=15)
    enabled = BooleanField(_l("启用"), default=True)

    hints = {
        "title": _l("不填则用内容自己的标题；图片和视频的标题。"),
        "text": _l("显示在幻灯片下方；纯文本。"),
        "duration": _l("%(min)d 到 %(max)d 秒。", min=MIN_DURATION, max=MAX_DURATION),
    }
    #: Which picker each kind needs.
    PICKERS = {SlideKind.NOTICE.value: "notice", SlideKind.POLICY.value: "policy",
               SlideKind.INTERPRETATION.value: "interpretation",
               SlideKind.IMAGE.value: "image", SlideKind.VIDEO.value: "video"}

    def validate_duration(self, field: Field) -> None:
        if self.duration.process_errors:
            raise StopValidation()
        if field.data is None:
            raise StopValidation(_("此项必填。"))
        if not MIN_DURATION <= field.data <= MAX_DURATION:
            raise ValidationError(_("播放时长应在 %(min)d 到 %(max)d 秒之间。",
                                    min=MIN_DURATION, max=MAX_DURATION))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        picker = self.PICKERS.get(self.kind.data or "")
        if picker is not None and not self[picker].errors and not self[picker].data:
            self[picker].errors = [*self[picker].errors, _("请选择这张幻灯片要显示的内容。")]
            ok = False
        return ok

    def load(self, row: PlaylistItem) -> None:
        self.kind.data = row.kind
        self.notice.data, self.policy.data = row.notice_id, row.policy_id
        self.interpretation.data = row.interpretation_id
        self.image.data = row.media if row.kind == SlideKind.IMAGE else ""
        self.video.data = row.media if row.kind == SlideKind.VIDEO else ""
        self.title.data, self.text.data = row.title, row.text
        self.duration.data, self.enabled.data = row.duration, row.enabled
        self.load_schedule(row)

    def fields(self) -> dict[str, Any]:
        kind = self.kind.data
        return {
            "kind": kind,
            "notice_id": self.notice.data if kind == SlideKind.NOTICE else None,
            "policy_id": self.policy.data if kind == SlideKind.POLICY else None,
            "interpretation_id": (self.interpretation.data
                                  if kind == SlideKind.INTERPRETATION else None),
            "media": (self.image.data if kind == SlideKind.IMAGE
                      else self.video.data if kind == SlideKind.VIDEO else "") or "",
            "title": self.title.data or "", "text": self.text.data or "",
            "duration": self.duration.data, "enabled": bool(self.enabled.data),
            **self.schedule(),
        }


# -- ticker and emergency --------------------------------------------------------------------


class TickerForm(ScheduleForm):
    text = StringField(_l("字幕内容"), filters=[strip],
                       validators=[required(), length(MAX_TICKER_CHARS)])
    enabled = BooleanField(_l("启用"), default=True)

    hints = {"text": _l("纯文本，最多 %(n)d 个字。", n=MAX_TICKER_CHARS)}

    def load(self, row: TickerItem) -> None:
        self.text.data, self.enabled.data = row.text, row.enabled
        self.load_schedule(row)

    def fields(self) -> dict[str, Any]:
        return {"text": self.text.data, "enabled": bool(self.enabled.data), **self.schedule()}


class EmergencyForm(StaffForm):
    title = StringField(_l("标题"), filters=[strip],
                        validators=[length(max_length(EmergencyMessage.title))])
    text = TextAreaField(_l("内容"), filters=[strip],
                         validators=[required(), length(MAX_EMERGENCY_CHARS)])
    target = Choice(_l("发送到"), choices=options(TARGET_LABELS.items()),
                    default=EmergencyTarget.ALL.value)
    group = IdSelect(_l("分组"))
    screen = IdSelect(_l("屏幕"))
    until = LocalDateTimeField(_l("显示到"))

    hints = {"text": _l("纯文本，整屏显示，直到清除或到期。"),
             "until": _l("不填则一直显示，直到清除。")}

    def validate_until(self, field: Field) -> None:
        if field.data is not None and field.data <= utcnow():
            raise ValidationError(_("到期时间必须晚于现在。"))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        needed = {EmergencyTarget.GROUP.value: self.group,
                  EmergencyTarget.SCREEN.value: self.screen}.get(self.target.data or "")
        if needed is not None and not needed.errors and not needed.data:
            needed.errors = [*needed.errors, _("请选择要发送到的%(what)s。",
                                               what=needed.label.text)]
            ok = False
        return ok
