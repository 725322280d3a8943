"""Every endpoint the fuzz tests cover, with the fields it reads.

A target is one endpoint at one address: the form fields (or JSON keys, or query arguments,
or ``{segment}`` of the path) it reads, where a real page shows its form (the values a browser
would send are the baseline each example changes), and who sends it. ``test_every.py`` fails
when a write endpoint (POST, PUT, PATCH, DELETE) is missing here; the fuzz tests fail when a
page's form has a field this table does not list.

Paths name seeded rows in braces (``{policy}``; see ``conftest._seed``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Target:
    endpoint: str
    path: str
    fields: tuple[str, ...] = ()
    #: The page whose form posts to ``path`` (its values are the baseline), if any.
    page: str | None = None
    method: str = "POST"
    #: "form", "multipart", "json", "query" (fields are query arguments) or "path" (the
    #: fields are ``{segments}`` of the path, filled with hostile text).
    body: str = "form"
    files: tuple[str, ...] = ()
    #: "root" (every role), "clerk", "kiosk" (nobody signed in) or "fresh" (a new session).
    who: str = "root"
    baseline: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def _t(endpoint: str, path: str, *fields: str, **kw: Any) -> Target:
    return Target(endpoint, path, tuple(fields), **kw)


def _get(endpoint: str, path: str, *fields: str, **kw: Any) -> Target:
    return Target(endpoint, path, tuple(fields), method="GET", body="query", **kw)


def _seg(endpoint: str, path: str, *fields: str, method: str = "GET", **kw: Any) -> Target:
    return Target(endpoint, path, tuple(fields), method=method, body="path", **kw)


# -- citizens: kiosk pages, the phone pages and the JSON API ----------------------------------

#: The kiosk application's steps and the fields each posts.
APPLY_STEPS: dict[str, tuple[str, ...]] = {
    "type": ("applicant_type",),
    "applicant": ("name", "contact_person"),
    "identity": ("id_type", "id_number"),
    "info": ("info_title", "info_doc_number", "info_description"),
    "delivery": ("info_format", "delivery"),
    "contact": ("phone", "address", "email"),
    "consent": ("consent",),
}
#: A valid person's application, step by step (the apply journey's baseline).
APPLY_VALID: dict[str, str] = {
    "applicant_type": "person", "name": "张三", "contact_person": "", "id_type": "resident_id",
    "id_number": "11010519491231002X", "info_title": "2025年城镇老旧小区改造项目清单",
    "info_doc_number": "章府办字〔2025〕12号",
    "info_description": "申请公开2025年城镇老旧小区改造项目清单及资金安排情况。",
    "info_format": "paper", "delivery": "pickup", "phone": "13812345678",
    "address": "江西省赣州市章贡区沙石镇吉埠村12号", "email": "", "consent": "1",
}

CITIZEN: tuple[Target, ...] = (
    # forms
    _t("kiosk.suggest", "/kiosk/suggest", "category", "text", "consent", "name", "phone",
       page="/kiosk/suggest", who="kiosk",
       baseline={"category": ["facility"], "text": ["大厅的座椅太少，建议增加。"]}),
    _t("kiosk.suggest_lookup", "/kiosk/suggest/lookup", "code", "key",
       page="/kiosk/suggest/lookup", who="kiosk",
       baseline={"code": ["{suggestion_code}"], "key": ["{suggestion_key}"]}),
    _t("kiosk.suggest_print", "/kiosk/suggest/print", who="kiosk"),
    _t("kiosk.consultation_comment", "/kiosk/consult/{consultation}/comment", "text", "consent",
       "name", "phone", page="/kiosk/consult/{consultation}", who="kiosk",
       baseline={"text": ["建议增加老年人免费乘车的时段。"]}),
    _t("kiosk.apply_start", "/kiosk/apply/start", page="/kiosk/apply", who="kiosk"),
    *(_t("kiosk.apply_step", f"/kiosk/apply/step/{step}", *fields, who="kiosk",
         page=f"/kiosk/apply/step/{step}", baseline={k: [APPLY_VALID[k]] for k in fields})
      for step, fields in APPLY_STEPS.items()),
    _t("kiosk.apply_submit", "/kiosk/apply/submit", *APPLY_VALID, who="kiosk",
       body="apply-journey"),
    _t("kiosk.apply_finish", "/kiosk/apply/finish", who="kiosk"),
    _t("kiosk.apply_status", "/kiosk/apply/status", "number", "last4",
       page="/kiosk/apply/status", who="kiosk"),
    _t("kiosk.elder", "/kiosk/elder", "on", "next", page="/kiosk/", who="kiosk"),
    _t("kiosk.reset", "/kiosk/reset", who="kiosk"),
    _t("kiosk.print_policy", "/kiosk/print/policy/{policy}", page="/kiosk/policies/{policy}",
       who="kiosk"),
    _t("kiosk.queue_take", "/kiosk/queue/take", "service", "priority",
       *(f"key-{code}" for code in ("gk", "zx", "sb", "bdc", "bb")),  # the demo's services
       page="/kiosk/queue", who="kiosk", baseline={"service": ["zx"]}),
    _t("kiosk.queue_checkin_post", "/kiosk/queue/checkin", "code", "request_key",
       page="/kiosk/queue/checkin", who="kiosk", baseline={"code": ["{booking_code}"]}),
    _t("kiosk.rate_lookup", "/kiosk/rate", "number", page="/kiosk/rate", who="kiosk",
       baseline={"number": ["{finished_number}"]}),
    _t("kiosk.rate_submit", "/kiosk/rate/submit", "token", "score", "reasons", "comment",
       who="kiosk", baseline={"token": ["{rate_kiosk}"], "score": ["5"],
                              "reasons": ["服务热情"], "comment": ["很好"]}),
    _t("kiosk_rating.phone_rate_submit", "/t/{rate_phone}/rate", "score", "reasons",
       "comment", page="/t/{rate_phone}/rate", who="kiosk",
       baseline={"score": ["5"], "reasons": ["服务热情"]}),
    # JSON
    _t("tickets_api.take", "/api/tickets", "service", "priority", "request_key", "source",
       body="json", who="kiosk", baseline={"service": "zx"}),
    _t("tickets_api.checkin", "/api/checkin", "code", "request_key", body="json", who="kiosk",
       baseline={"code": "{booking_code}"}),
    _t("kiosk_rating.window_rate", "/api/windows/{window_number}/rating", "token", "score",
       "reasons", "comment", body="json", who="kiosk",
       baseline={"token": "{rate_counter}", "score": 5, "reasons": ["服务热情"]}),
    _t("kiosk_speech.speech", "/kiosk/speech", "text", body="json", who="kiosk",
       baseline={"text": "政府信息公开"}),
    # query arguments
    _get("kiosk.search", "/kiosk/search", "q", "validity", "category", "issuer", "year",
         "page", who="kiosk", baseline={"q": ["政府信息公开"]}),
    _get("kiosk_api.search_view", "/api/search", "q", "limit", "offset", "category", "issuer",
         "year", "validity", "kind", who="kiosk", baseline={"q": ["公开"]}),
    _get("kiosk.category", "/kiosk/categories/{category}", "page", who="kiosk"),
    _get("kiosk.policy", "/kiosk/policies/{policy}", "art", who="kiosk"),
    _get("kiosk.suggest_answers", "/kiosk/suggest/answers", "page", who="kiosk"),
    _get("kiosk.suggest_lookup", "/kiosk/suggest/lookup", "code", "key", who="kiosk"),
    _get("kiosk.ime", "/kiosk/ime", "p", "offset", "limit", who="kiosk"),
    _get("kiosk.elder", "/kiosk/elder", "on", "next", who="kiosk"),
    _get("kiosk.lang", "/kiosk/lang/en", "next", who="kiosk"),
    _get("voice.clip", "/voice/qing.wav", "v", who="kiosk"),
    # path segments: tokens and names that do not exist
    _seg("tickets_api.ticket", "/api/tickets/{token}", "token", who="kiosk"),
    _seg("ticket_phone.phone", "/t/{token}", "token", who="kiosk"),
    _seg("kiosk_rating.phone_rate", "/t/{token}/rate", "token", who="kiosk"),
    _seg("kiosk_rating.phone_rate_submit", "/t/{token}/rate", "token", method="POST",
         who="kiosk"),
    _seg("disclosure_track.track", "/track/{token}", "token", who="kiosk"),
    _seg("kiosk.print_job_state", "/kiosk/print/jobs/{token}", "token", who="kiosk"),
    _seg("kiosk.queue_qr", "/kiosk/queue/qr/{token}.svg", "token", who="kiosk"),
    _seg("kiosk.apply_step", "/kiosk/apply/step/{name}", "name", who="kiosk"),
    _seg("kiosk.lang", "/kiosk/lang/{code}", "code", who="kiosk"),
    _seg("screens.screen", "/screens/{name}", "name", who="kiosk"),
    _seg("screens_api.state_json", "/screens/{name}/state.json", "name", who="kiosk"),
    _seg("voice.clip", "/voice/{clip}.wav", "clip", who="kiosk"),
    _seg("content.media", "/media/{filename}", "filename", who="kiosk"),
)

# -- staff pages -----------------------------------------------------------------------------

_POLICY = ("title", "doc_number", "issuer", "category", "issued_on", "effective_on",
           "validity", "replaced_by", "source_url", "summary", "body", "status", "publish_at",
           "expire_at")
_INTERPRETATION = ("title", "kind", "policy", "author", "published_on", "body", "image",
                   "image_alt", "video", "status", "publish_at", "expire_at")
_GUIDE = ("title", "agency", "category", "basis", "conditions", "materials", "steps",
          "time_limit", "fee", "place", "hours", "phone", "status", "publish_at", "expire_at")
_NOTICE = ("title", "agency", "published_on", "expires_on", "body", "status", "publish_at",
           "expire_at")
_CATALOG = ("seq", "tier", "category", "subject", "content", "basis", "time_limit", "audience",
            "channels", "mode")
_CONTENT = {"policy": _POLICY, "interpretation": _INTERPRETATION, "guide": _GUIDE,
            "notice": _NOTICE, "catalog": _CATALOG}
_USER = ("username", "display_name", "roles", "active")
_SERVICE = ("name", "code", "prefix", "digits", "first_number", "position", "description",
            "opens_at", "closes_at", "weekdays", "workdays_only", "daily_limit",
            "minutes_each", "enabled", "paused", "pause_note")
_WINDOW = ("number", "name", "services", "enabled")
_PRIORITY = ("name", "position", "enabled")
_SCHEDULE = ("start_at", "end_at", "weekdays", "window_start", "window_end")
_ITEM = ("kind", "notice", "policy", "interpretation", "image", "video", "title", "text",
         "duration", "enabled", *_SCHEDULE)
_SCREEN = ("title", "orientation", "zone_header", "zone_main", "zone_ticker", "zone_side",
           "group", "playlist")
_CONSULTATION = ("title", "issuer", "explanation", "body_html", "opens_at", "closes_at")
_APPLICATION = ("channel", "received_on", "assisted", "applicant_type", "name",
                "contact_person", "id_type", "id_number", "phone", "address", "email",
                "info_title", "info_doc_number", "info_description", "info_format", "delivery",
                "consent", "request_key")
_STEPS: dict[str, tuple[str, ...]] = {
    "register": ("reason",), "start_review": ("reason",), "start_processing": ("reason",),
    "request_supplement": ("what", "due_on"), "receive_supplement": ("on", "reason"),
    "close_no_supplement": ("reason",), "start_consultation": ("kind", "reason", "on"),
    "end_consultation": ("on", "reason"),
    "extend": ("workdays", "approved_by", "reason"),
    "answer": ("kind", "deny_reason", "agency", "where", "reply_text", "on"),
    "archive": ("reason",),
}
#: Steps the demo has a case for today (no supplement is overdue in it).
_SHOWN = set(_STEPS) - {"close_no_supplement"}
_REPORT_REVIEW = tuple(f"{group}_{col}" for group in ("review", "suit_direct",
                                                      "suit_after_review")
                       for col in ("upheld", "corrected", "other", "pending", "total"))
_CARRY_IN = ("person", "business", "research", "public_interest", "legal_service",
             "other_org")
_W = "/staff/counter/{window_number}"

STAFF: tuple[Target, ...] = (
    # the frame: sign-in, accounts, calendar
    _t("staff.login", "/staff/login", "username", "password", "next", page="/staff/login",
       who="kiosk"),
    _t("staff.password", "/staff/password", "current", "new", "confirm",
       page="/staff/password"),
    _t("staff.user_new", "/staff/users/new", *_USER, page="/staff/users/new"),
    _t("staff.user_edit", "/staff/users/{other}", *_USER, page="/staff/users/{other}"),
    _t("staff.user_reset_password", "/staff/users/{other}/reset-password",
       page="/staff/users"),
    _t("staff.user_unlock", "/staff/users/{other}/unlock"),
    _t("hall_calendar.set_day", "/staff/calendar/{year}/set", "day", "kind", "note",
       page="/staff/calendar/{year}"),
    _t("hall_calendar.remove_day", "/staff/calendar/{year}/remove", "day",
       page="/staff/calendar/{year}"),
    # content
    *(_t("content_staff.new", f"/staff/content/{kind}/new", *fields,
         page=f"/staff/content/{kind}/new") for kind, fields in _CONTENT.items()),
    *(_t("content_staff.edit", f"/staff/content/{kind}/{{{kind}}}", *fields,
         page=f"/staff/content/{kind}/{{{kind}}}") for kind, fields in _CONTENT.items()),
    _t("content_staff.preview", "/staff/content/preview", "md"),
    _t("content_staff.publish", "/staff/content/notice/{notice}/publish", "next"),
    _t("content_staff.withdraw", "/staff/content/notice/{notice}/withdraw", "next",
       page="/staff/content/notice/{notice}"),
    _t("content_staff.delete", "/staff/content/policy/{last_policy}/delete", "next",
       page="/staff/content/policy/{last_policy}"),
    _t("content_media.upload", "/staff/media/upload",
       *(f"{name}-{row}" for row in range(4) for name in ("file", "alt")),
       page="/staff/media/", body="multipart", files=tuple(f"file-{r}" for r in range(4))),
    _t("content_media.update_alt", "/staff/media/{media}/alt", "alt",
       page="/staff/media/"),
    _t("content_media.delete", "/staff/media/{media_spare}/delete", page="/staff/media/"),
    _t("content_transfer.export", "/staff/transfer/export", "format", "section",
       page="/staff/transfer/"),
    _t("content_transfer.start_import", "/staff/transfer/import", "file", "section",
       "dry_run", page="/staff/transfer/", body="multipart", files=("file",)),
    # the queue: the counter (the clerks' window), settings, ratings, voice
    _t("tickets_counter.open_window", "/staff/counter/1/open", "services", "take_over",
       page="/staff/counter/1/open", who="clerk"),
    _t("tickets_counter.call_next", f"{_W}/next", page=_W),
    _t("tickets_counter.recall", f"{_W}/recall", page=_W),
    _t("tickets_counter.call_number", f"{_W}/call", "call-number", page=_W),
    _t("tickets_counter.transfer", f"{_W}/transfer", "transfer-service", "transfer-window",
       page=_W),
    _t("tickets_counter.no_show", f"{_W}/no-show", page=_W),
    _t("tickets_counter.finish", f"{_W}/finish", page=_W),
    _t("tickets_counter.pause", f"{_W}/pause", "paused", page=_W),
    _t("tickets_counter.close", f"{_W}/close", page=_W),
    _t("tickets_settings.service_new", "/staff/queue/services/new", *_SERVICE,
       page="/staff/queue/services/new"),
    _t("tickets_settings.service_edit", "/staff/queue/services/{service}", *_SERVICE,
       page="/staff/queue/services/{service}"),
    _t("tickets_settings.window_new", "/staff/queue/windows/new", *_WINDOW,
       page="/staff/queue/windows/new"),
    _t("tickets_settings.window_edit", "/staff/queue/windows/{window}", *_WINDOW,
       page="/staff/queue/windows/{window}"),
    _t("tickets_settings.window_release", "/staff/queue/windows/3/release",
       page="/staff/queue/windows/"),  # held by clerk3 (seed)
    _t("tickets_settings.priority_new", "/staff/queue/priorities/new", *_PRIORITY,
       page="/staff/queue/priorities/new"),
    _t("tickets_settings.priority_edit", "/staff/queue/priorities/{priority}", *_PRIORITY,
       page="/staff/queue/priorities/{priority}"),
    _t("tickets_settings.appointments", "/staff/queue/appointments/", "service", "day",
       "slot_start", "slot_end", "note", page="/staff/queue/appointments/"),
    _t("tickets_settings.appointment_cancel",
       "/staff/queue/appointments/{appointment}/cancel"),
    _t("queue_followups.followup", "/staff/queue/followups/{followup}", "finding", "answer",
       page="/staff/queue/followups/{followup}"),
    _t("tickets_voice.upload", "/staff/queue/voice/hao/upload", "file",
       page="/staff/queue/voice/", body="multipart", files=("file",)),
    _t("tickets_voice.revert", "/staff/queue/voice/qing/revert", page="/staff/queue/voice/"),
    # citizens' voice
    _t("feedback_staff.suggestion_assign", "/staff/feedback/suggestions/{suggestion}/assign",
       "assignee", page="/staff/feedback/suggestions/{suggestion}"),
    _t("feedback_staff.suggestion_deadline",
       "/staff/feedback/suggestions/{suggestion}/deadline", "due_on",
       page="/staff/feedback/suggestions/{suggestion}"),
    _t("feedback_staff.suggestion_reply", "/staff/feedback/suggestions/{suggestion}/reply",
       "reply", "public", page="/staff/feedback/suggestions/{suggestion}",
       baseline={"reply": ["已转交相关科室办理。"]}),
    _t("feedback_staff.suggestion_publish",
       "/staff/feedback/suggestions/{suggestion_answered}/publish", "on",
       page="/staff/feedback/suggestions/{suggestion_answered}"),
    _t("feedback_staff.suggestion_contact",
       "/staff/feedback/suggestions/{suggestion_answered}/contact",
       page="/staff/feedback/suggestions/{suggestion_answered}"),
    _t("feedback_staff.suggestion_close", "/staff/feedback/suggestions/{suggestion}/close",
       page="/staff/feedback/suggestions/{suggestion}"),
    _t("feedback_staff.suggestion_reopen",
       "/staff/feedback/suggestions/{suggestion_closed}/reopen",
       page="/staff/feedback/suggestions/{suggestion_closed}"),
    _t("feedback_staff.consultation_new", "/staff/feedback/consultations/new", *_CONSULTATION,
       page="/staff/feedback/consultations/new"),
    _t("feedback_staff.consultation_edit",
       "/staff/feedback/consultations/{consultation_draft}/edit", *_CONSULTATION,
       page="/staff/feedback/consultations/{consultation_draft}/edit"),
    _t("feedback_staff.document_upload",
       "/staff/feedback/consultations/{consultation}/documents", "title", "file",
       page="/staff/feedback/consultations/{consultation}", body="multipart", files=("file",)),
    _t("feedback_staff.document_delete",
       "/staff/feedback/consultations/{consultation}/documents/{document_spare}/delete",
       page="/staff/feedback/consultations/{consultation}"),
    _t("feedback_staff.comment_hide", "/staff/feedback/comments/{comment}/hide", "on",
       page="/staff/feedback/consultations/{consultation}/comments"),
    _t("feedback_staff.consultation_open",
       "/staff/feedback/consultations/{consultation_draft}/open",
       page="/staff/feedback/consultations/{consultation_draft}"),
    _t("feedback_staff.consultation_close",
       "/staff/feedback/consultations/{consultation}/close",
       page="/staff/feedback/consultations/{consultation}"),
    _t("feedback_staff.consultation_summary",
       "/staff/feedback/consultations/{consultation}/summary", "summary", "adoption",
       page="/staff/feedback/consultations/{consultation}"),
    _t("feedback_staff.consultation_delete",
       "/staff/feedback/consultations/{consultation_spare}/delete",
       page="/staff/feedback/consultations/{consultation_spare}"),
    # disclosure
    _t("disclosure_staff.new", "/staff/disclosure/new", *_APPLICATION,
       page="/staff/disclosure/new"),
    *(_t("disclosure_staff.step", f"/staff/disclosure/{{case_{action}}}/step/{action}",
         *fields, page=f"/staff/disclosure/{{case_{action}}}" if action in _SHOWN else None)
      for action, fields in _STEPS.items()),
    _t("disclosure_staff.reveal", "/staff/disclosure/{case_open}/reveal", "field",
       page="/staff/disclosure/{case_open}"),
    _t("disclosure_staff.attachment_upload", "/staff/disclosure/{case_open}/attachments",
       "file", page="/staff/disclosure/{case_open}", body="multipart", files=("file",)),
    _t("disclosure_staff.attachment_delete",
       "/staff/disclosure/{case_open}/attachments/{attachment}/delete",
       page="/staff/disclosure/{case_open}"),
    _t("disclosure_report.carry_in", "/staff/disclosure/report/{year}/carry-in", *_CARRY_IN,
       page="/staff/disclosure/report/{year}"),
    _t("disclosure_report.review", "/staff/disclosure/report/{year}/review", *_REPORT_REVIEW,
       page="/staff/disclosure/report/{year}"),
    # printers
    _t("printer_staff.test_page", "/staff/printers/kiosk/test", page="/staff/printers/"),
    _t("printer_staff.reprint", "/staff/printers/jobs/{print_job}/reprint"),
    # screens
    _t("screens_staff.screen_new", "/staff/screens/new", "name", *_SCREEN,
       page="/staff/screens/new"),
    _t("screens_staff.screen_edit", "/staff/screens/{screen}", *_SCREEN,
       page="/staff/screens/{screen}"),
    _t("screens_staff.screen_reload", "/staff/screens/{screen}/reload", "next",
       page="/staff/screens/"),
    _t("screens_staff.group_new", "/staff/screens/groups/new", "name", "title", "playlist",
       page="/staff/screens/groups/new"),
    _t("screens_staff.group_edit", "/staff/screens/groups/{group}", "name", "title",
       "playlist", page="/staff/screens/groups/{group}"),
    _t("screens_staff.playlist_new", "/staff/screens/playlists/new", "name", "title",
       *_SCHEDULE, page="/staff/screens/playlists/new"),
    _t("screens_staff.playlist_edit", "/staff/screens/playlists/{playlist}", "name", "title",
       *_SCHEDULE, page="/staff/screens/playlists/{playlist}"),
    _t("screens_staff.item_new", "/staff/screens/playlists/{playlist}/items/new", *_ITEM,
       page="/staff/screens/playlists/{playlist}/items/new"),
    _t("screens_staff.item_edit", "/staff/screens/items/{item}", *_ITEM,
       page="/staff/screens/items/{item}"),
    _t("screens_staff.item_move", "/staff/screens/items/{item}/move", "direction",
       page="/staff/screens/playlists/{playlist}"),
    _t("screens_staff.ticker_new", "/staff/screens/ticker/new", "text", "enabled", *_SCHEDULE,
       page="/staff/screens/ticker/new"),
    _t("screens_staff.ticker_edit", "/staff/screens/ticker/{ticker}", "text", "enabled",
       *_SCHEDULE, page="/staff/screens/ticker/{ticker}"),
    _t("screens_staff.ticker_move", "/staff/screens/ticker/{ticker}/move", "direction",
       page="/staff/screens/ticker/"),
    _t("screens_staff.emergency_send", "/staff/screens/emergency/send", "title", "text",
       "target", "group", "screen", "until", page="/staff/screens/emergency/"),
    _t("screens_staff.emergency_clear", "/staff/screens/emergency/{emergency}/clear",
       page="/staff/screens/emergency/"),
    # deletions last: what they remove, the targets above still need
    _t("screens_staff.item_delete", "/staff/screens/items/{last_item}/delete",
       page="/staff/screens/playlists/{last_item_playlist}"),
    _t("screens_staff.ticker_delete", "/staff/screens/ticker/{last_ticker}/delete",
       page="/staff/screens/ticker/"),
    _t("screens_staff.screen_delete", "/staff/screens/{last_screen}/delete",
       page="/staff/screens/{last_screen}"),
    _t("screens_staff.playlist_delete", "/staff/screens/playlists/{last_playlist}/delete",
       page="/staff/screens/playlists/"),
    _t("screens_staff.group_delete", "/staff/screens/groups/{group}/delete",
       page="/staff/screens/groups/"),
    _t("staff.logout", "/staff/logout", page="/staff/", who="fresh"),
    # query arguments of lists and filters
    _get("staff.login", "/staff/login", "next", who="kiosk"),
    _get("staff.audit_log", "/staff/audit", "actor", "action", "object_type", "object_id",
         "from", "to", "page"),
    _get("content_staff.items", "/staff/content/policy/", "q", "status", "page"),
    _get("content_media.index", "/staff/media/", "page"),
    _get("tickets_counter.index", "/staff/counter/", "choose"),
    _get("tickets_settings.appointments", "/staff/queue/appointments/", "day"),
    _get("queue_followups.index", "/staff/queue/followups/", "show"),
    _get("queue_stats.index", "/staff/queue/stats", "start", "end"),
    _get("queue_stats.daily_csv", "/staff/queue/stats.csv", "start", "end"),
    _get("queue_stats.tickets_csv", "/staff/queue/stats/tickets.csv", "start", "end"),
    _get("tickets_voice.index", "/staff/queue/voice/", "number", "window"),
    _get("tickets_voice.sample", "/staff/queue/voice/sample.wav", "number", "window"),
    _get("feedback_staff.index", "/staff/feedback/", "show", "page"),
    _get("disclosure_staff.index", "/staff/disclosure/", "stage", "hold", "channel", "due",
         "q", "year", "page"),
    _get("content_transfer.index", "/staff/transfer/", "job"),
    _seg("content_transfer.status", "/staff/transfer/status/{job}", "job"),
    _seg("printer_staff.test_page", "/staff/printers/{name}/test", "name", method="POST"),
    _seg("tickets_voice.revert", "/staff/queue/voice/{name}/revert", "name", method="POST"),
)

ALL: tuple[Target, ...] = CITIZEN + STAFF
