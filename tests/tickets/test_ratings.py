"""好差评 on a real database: rating once, what may be rated, the follow-up a 差评 opens (due
15 working days later, across 国庆), overdue listing, answering, and the staff pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hall.extensions import db
from hall.models import AuditEntry, Role
from hall.timefmt import HALL_TZ, local_today
from tests.staff_support import create_staff, login, token_in
from tests.tickets.support import WORKDAY_10AM, make_service, make_window
from tickets import queue, ratings
from tickets.models import Followup, FollowupStatus, Rating, Ticket, TicketStatus

T = WORKDAY_10AM
#: Wednesday 30 September 2026, 10:00 in the hall: the day before the 国庆 holiday (1–7 Oct).
BEFORE_NATIONAL_DAY = dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC)


def at(minutes: float, base: dt.datetime = T) -> dt.datetime:
    return base + dt.timedelta(minutes=minutes)


def served(base: dt.datetime = T, window_number: int = 3, clerk: str = "王芳") -> Ticket:
    """A ticket issued, called at a window and finished (5 and 12 minutes after ``base``)."""
    service = db.session.scalar(select(queue.Service).where(queue.Service.code == "gk")) \
        or make_service()
    window = db.session.scalar(select(queue.Window).where(queue.Window.number == window_number)) \
        or make_window(window_number, service, clerk_id=None)
    ticket = queue.issue_ticket("gk", now=base, check_hours=False).ticket
    assert queue.call_next(window.id, clerk, now=at(5, base)).id == ticket.id
    queue.finish(window.id, now=at(12, base))
    return db.session.get(Ticket, ticket.id)


def test_rate_once_copies_the_service_window_and_clerk(app: Flask) -> None:
    ticket = served()
    rated = ratings.rate(ticket, 5, ["服务热情", "办理高效"], "  很好  ", "kiosk", now=at(13))
    rating = rated.rating
    assert rated.followup is None
    assert (rating.score, rating.reasons, rating.comment) == (5, "服务热情\n办理高效", "很好")
    assert rating.service_id == ticket.service_id
    assert (rating.window_number, rating.clerk_name, rating.channel) == (3, "王芳", "kiosk")
    with pytest.raises(ratings.RatingError) as refused:
        ratings.rate(ticket, 1, [], "", "phone", now=at(14))
    assert refused.value.code == "rated"
    assert "已经评价过了" in str(refused.value.message)
    assert db.session.scalar(select(func.count(Rating.id))) == 1
    assert db.session.scalar(select(func.count(Followup.id))) == 0


def test_only_a_finished_recent_ticket_can_be_rated(app: Flask) -> None:
    make_service()
    window = make_window(1, db.session.scalar(select(queue.Service)))
    waiting = queue.issue_ticket("gk", now=T).ticket
    with pytest.raises(ratings.RatingError) as refused:
        ratings.rate(waiting, 5, [], "", "kiosk", now=at(1))
    assert refused.value.code == "not_done"
    queue.call_next(window.id, "王芳", now=at(2))
    with pytest.raises(ratings.RatingError):  # called, being served
        ratings.rate(waiting, 5, [], "", "kiosk", now=at(3))
    queue.no_show(window.id, now=at(4))
    with pytest.raises(ratings.RatingError) as refused:
        ratings.rate(waiting, 5, [], "", "kiosk", now=at(5))
    assert refused.value.code == "not_done"
    old = served(base=at(10))
    with pytest.raises(ratings.RatingError) as refused:
        ratings.rate(old, 4, [], "", "kiosk", now=at(8 * 24 * 60))
    assert refused.value.code == "too_old"
    assert ratings.rate(old, 4, [], "", "kiosk", now=at(6 * 24 * 60)).rating.id
    with pytest.raises(ratings.RatingError) as refused:
        ratings.rate(None, 4, [], "", "kiosk")
    assert refused.value.code == "unknown"


@pytest.mark.parametrize("score", [None, "", "x", 0, 6, -1, 2.5, True, "3.0", [5], {"a": 1}])
def test_scores_other_than_one_to_five_are_refused(app: Flask, score: Any) -> None:
    ticket = served()
    with pytest.raises(ratings.RatingError) as refused:
        ratings.rate(ticket, score, [], "", "kiosk", now=at(13))
    assert refused.value.code == "bad_score"
    assert db.session.scalar(select(func.count(Rating.id))) == 0


def test_a_score_as_form_text_is_accepted(app: Flask) -> None:
    assert ratings.rate(served(), " 3 ", [], "", "kiosk", now=at(13)).rating.score == 3


def test_reasons_must_belong_to_the_grade(app: Flask) -> None:
    ticket = served()
    for score, reasons in ((5, ["态度不好"]), (1, ["服务热情"]), (2, ["随便写"]), (4, [7])):
        with pytest.raises(ratings.RatingError) as refused:
            ratings.rate(ticket, score, reasons, "", "kiosk", now=at(13))
        assert refused.value.code == "bad_reason"
    rated = ratings.rate(ticket, 2, ["其他", "等候时间长", "其他"], "", "counter", now=at(13))
    assert rated.rating.reasons == "等候时间长\n其他"  # the offered order, once each


def test_comment_loses_control_characters_and_is_limited(app: Flask) -> None:
    ticket = served()
    with pytest.raises(ratings.RatingError) as refused:
        ratings.rate(ticket, 4, [], "好" * 501, "kiosk", now=at(13))
    assert refused.value.code == "too_long"
    with pytest.raises(ratings.RatingError):
        ratings.rate(ticket, 4, [], 12, "kiosk", now=at(13))
    with pytest.raises(ratings.RatingError) as refused:
        ratings.rate(ticket, 4, [], "", "email", now=at(13))
    assert refused.value.code == "bad_channel"
    text = "第一行\x00\x07\r\n第二行\t完\u202e反\x1b[31m"
    rating = ratings.rate(ticket, 4, [], text, "kiosk", now=at(13)).rating
    assert rating.comment == "第一行\n第二行 完反[31m"
    assert len(ratings.clean_text("好" * 500, ratings.COMMENT_MAX)) == 500


def test_bad_rating_opens_a_followup_15_working_days_later_across_national_day(
        app: Flask) -> None:
    ticket = served(base=BEFORE_NATIONAL_DAY)
    rated = ratings.rate(ticket, 1, ["态度不好"], "", "kiosk", now=at(20, BEFORE_NATIONAL_DAY))
    assert rated.followup is not None and rated.workdays == 15
    # 1–7 October are off, Saturday 10 October is a make-up working day: 15 working days
    # after 30 September end on 27 October (without the holiday it would be 21 October).
    assert rated.followup.due_on == dt.date(2026, 10, 27)
    assert rated.followup.status == FollowupStatus.OPEN
    db.session.expire_all()
    assert db.session.scalar(select(Followup.rating_id)) == rated.rating.id


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"QUEUE_FOLLOWUP_WORKDAYS": 15}


def test_fair_and_good_grades_open_no_followup(app: Flask) -> None:
    for score in (3, 4, 5):
        ticket = served(base=at(score * 30))
        assert ratings.rate(ticket, score, [], "", "kiosk", now=at(score * 30 + 20)).followup \
            is None
    assert db.session.scalar(select(func.count(Followup.id))) == 0


def _bad_rating(day_offset: int, number_base: float) -> Followup:
    ticket = served(base=at(number_base))
    rated = ratings.rate(ticket, 2, [], "", "kiosk", now=at(number_base + 20))
    assert rated.followup is not None
    rated.followup.due_on = T.date() + dt.timedelta(days=day_offset)
    db.session.commit()
    return rated.followup


def test_overdue_first_then_due_soon_then_the_rest(app: Flask) -> None:
    today = T.date()  # Wednesday 25 November 2026
    later = _bad_rating(20, 0)
    soon = _bad_rating(2, 30)  # Friday: within 3 working days
    overdue = _bad_rating(-1, 60)
    due_today = _bad_rating(0, 90)
    assert [f.id for f in ratings.overdue(today)] == [overdue.id]
    assert [f.id for f in ratings.due_soon(today)] == [due_today.id, soon.id]
    listed = ratings.open_followups(today)
    assert [(f.id, state) for f, state in listed] == [
        (overdue.id, "overdue"), (due_today.id, "soon"), (soon.id, "soon"), (later.id, "open")]


def test_answer_closes_the_followup_with_an_audit_entry(app: Flask) -> None:
    boss = create_staff("boss", Role.ADMIN)
    followup = _bad_rating(5, 0)
    with pytest.raises(ratings.RatingError) as refused:
        ratings.answer_followup(followup, " ", "答复", boss)
    assert refused.value.code == "missing"
    ratings.answer_followup(followup, "调取录像，属实", "已约谈经办人并整改", boss, now=at(60))
    db.session.expire_all()
    row = db.session.get(Followup, followup.id)
    assert row.status == FollowupStatus.ANSWERED and row.answered_by == "boss"
    assert row.answered_at == at(60)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "followup_answered"))
    assert entry is not None and entry.object_id == str(row.id)
    assert entry.new["answer"] == "已约谈经办人并整改" and entry.actor_name == "boss"
    with pytest.raises(ratings.RatingError) as refused:
        ratings.answer_followup(row, "再次", "再次", boss)
    assert refused.value.code == "answered"
    assert ratings.open_followups(T.date()) == []


def test_kiosk_lookup_finds_only_tickets_finished_today(app: Flask) -> None:
    yesterday = served(base=at(-24 * 60))
    today = served(base=at(0))
    assert ratings.finished_today(" a00 1 ", now=at(30)).id == today.id
    assert ratings.finished_today(today.number.lower(), now=at(30)).id == today.id
    for number, code in (("", "bad_number"), ("12", "bad_number"), ("A" * 3, "bad_number"),
                         ("<script>", "bad_number"), ("Z999", "unknown")):
        with pytest.raises(ratings.RatingError) as refused:
            ratings.finished_today(number, now=at(30))
        assert refused.value.code == code
    assert yesterday.number == "A001" and today.number == "A001"  # daily numbering
    ratings.rate(today, 5, [], "", "kiosk", now=at(31))
    with pytest.raises(ratings.RatingError) as refused:
        ratings.finished_today("A001", now=at(32))
    assert refused.value.code == "rated"


def test_a_waiting_ticket_is_not_found_by_the_kiosk_lookup(app: Flask) -> None:
    make_service()
    queue.issue_ticket("gk", now=T)
    with pytest.raises(ratings.RatingError) as refused:
        ratings.finished_today("A001", now=at(1))
    assert refused.value.code == "not_done"


# --------------------------------------------------------------------------- staff pages


def test_followup_pages_show_citizen_text_escaped_and_close_with_audit(
        app: Flask, client: FlaskClient) -> None:
    ticket = served()
    comment = '<script>alert("x")</script><b>粗</b>\n第二行'
    rated = ratings.rate(ticket, 1, ["态度不好"], comment, "kiosk", now=at(20))
    assert rated.followup is not None
    rated.followup.due_on = T.date() - dt.timedelta(days=1)  # overdue
    db.session.commit()
    fresh = _bad_rating(30, 60)
    create_staff("clerk1", Role.CLERK)
    login(client, "clerk1")
    listing = client.get("/staff/queue/followups/").get_data(as_text=True)
    assert "已超期" in listing and "有 1 条回访已超期" in listing
    assert listing.index(f"/staff/queue/followups/{rated.followup.id}") < \
        listing.index(f"/staff/queue/followups/{fresh.id}")
    page = client.get(f"/staff/queue/followups/{rated.followup.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<script>alert" not in html and "<b>粗</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;粗&lt;/b&gt;<br>第二行" in html
    assert "非常不满意" in html and "态度不好" in html and "王芳" in html and "3 号窗口" in html

    token = token_in(html)
    url = f"/staff/queue/followups/{rated.followup.id}"
    empty = client.post(url, data={"csrf_token": token, "finding": "", "answer": ""})
    assert empty.status_code == 422 and "请填写核查和整改情况" in empty.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": token, "finding": "核实<i>属实</i>",
                                  "answer": "已整改"})
    assert done.status_code == 303
    db.session.expire_all()
    row = db.session.get(Followup, rated.followup.id)
    assert row.status == FollowupStatus.ANSWERED and row.answered_by == "clerk1"
    assert db.session.scalar(select(func.count(AuditEntry.id))
                             .where(AuditEntry.action == "followup_answered")) == 1
    again = client.post(url, data={"csrf_token": token, "finding": "x", "answer": "y"})
    assert again.status_code == 409
    answered = client.get("/staff/queue/followups/?show=answered").get_data(as_text=True)
    assert ticket.number in answered and "已办结" in answered
    shown = client.get(url).get_data(as_text=True)
    assert "核实&lt;i&gt;属实&lt;/i&gt;" in shown
    assert client.get("/staff/queue/followups/999999").status_code == 404


def test_followup_pages_are_for_admins_and_clerks(app: Flask, client: FlaskClient) -> None:
    assert client.get("/staff/queue/followups/").status_code == 302
    create_staff("editor1", Role.EDITOR)
    login(client, "editor1")
    assert client.get("/staff/queue/followups/").status_code == 403


def test_the_staff_home_panel_counts_today(app: Flask, client: FlaskClient,
                                           login_as: Any) -> None:
    # Half an hour ago, but never before the hall's midnight: issuing, calling and finishing
    # must fall on one local day (a call after midnight looks for the new day's tickets).
    midnight = dt.datetime.combine(local_today(), dt.time(), tzinfo=HALL_TZ)
    today = max(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30), midnight)
    ticket = served(base=today)
    ratings.rate(ticket, 1, [], "", "kiosk", now=at(13, today))
    make_service("zc", name="政策咨询", prefix="B")
    queue.issue_ticket("zc", check_hours=False)
    login_as(Role.CLERK)
    html = client.get("/staff/").get_data(as_text=True)
    assert "排队叫号和好差评" in html and "待处理的差评回访" in html
    assert ticket.status == TicketStatus.DONE
