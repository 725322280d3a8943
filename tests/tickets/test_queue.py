"""The queue's rules on a real database: numbering, the next-ticket rule, transfers, hours."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from hall.extensions import db
from tests.tickets.support import WORKDAY_10AM, make_priority, make_service, make_window
from tickets import queue
from tickets.models import Appointment, Call, TicketStatus

T = WORKDAY_10AM


def at(minutes: float) -> dt.datetime:
    return T + dt.timedelta(minutes=minutes)


def test_numbers_per_service_start_at_one_and_reset_daily(app: Flask) -> None:
    with app.app_context():
        make_service("gk", prefix="A")
        make_service("zc", name="政策咨询", prefix="B", digits=4)
        numbers = [queue.issue_ticket("gk", now=at(i)).ticket.number for i in range(3)]
        assert numbers == ["A001", "A002", "A003"]
        assert queue.issue_ticket("zc", now=at(4)).ticket.number == "B0001"
        tomorrow = queue.issue_ticket("gk", now=at(24 * 60)).ticket
        assert tomorrow.number == "A001"
        assert tomorrow.day == dt.date(2026, 11, 26)


def test_same_request_key_gives_the_same_ticket(app: Flask) -> None:
    with app.app_context():
        make_service()
        first = queue.issue_ticket("gk", request_key="tap-1", now=at(0))
        again = queue.issue_ticket("gk", request_key="tap-1", now=at(0.01))
        assert again.repeated and not first.repeated
        assert again.ticket.id == first.ticket.id
        assert queue.issue_ticket("gk", request_key="tap-2", now=at(1)).ticket.number == "A002"


def test_priority_first_then_time_and_transfers_keep_their_place(app: Flask) -> None:
    with app.app_context():
        gk = make_service("gk", prefix="A")
        zc = make_service("zc", name="政策咨询", prefix="B")
        elder = make_priority("老年人")
        w1 = make_window(1, gk, clerk_id=None)
        w2 = make_window(2, zc)
        a1 = queue.issue_ticket("gk", now=at(0)).ticket
        b1 = queue.issue_ticket("zc", now=at(1)).ticket
        a2 = queue.issue_ticket("gk", now=at(2)).ticket
        a3 = queue.issue_ticket("gk", priority_id=elder.id, now=at(3))
        assert a3.ahead == 0  # priority goes before the two plain tickets
        assert queue.call_next(w1.id, "张三", now=at(4)).number == a3.ticket.number
        assert queue.call_next(w1.id, "张三", now=at(5)).number == a1.number
        # window 1 sends A001 to 政策咨询: it keeps its 10:00 place, before B001 (10:01)
        moved = queue.transfer(w1.id, service_id=zc.id)
        assert moved.status == TicketStatus.WAITING and moved.queued_at == at(0)
        assert queue.call_next(w2.id, "李四", now=at(6)).number == "A001"
        assert queue.call_next(w2.id, "李四", now=at(7)).number == b1.number
        assert queue.call_next(w1.id, "张三", now=at(8)).number == a2.number
        assert queue.call_next(w1.id, "张三", now=at(9)) is None
        done = db.session.get(type(a1), a1.id)
        assert done is not None and done.status == TicketStatus.DONE


def test_transfer_to_a_window_only_that_window_calls_it(app: Flask) -> None:
    with app.app_context():
        gk = make_service()
        w1, w2, w3 = (make_window(n, gk) for n in (1, 2, 3))
        queue.issue_ticket("gk", now=at(0))
        queue.issue_ticket("gk", now=at(1))
        queue.call_next(w1.id, now=at(2))
        queue.transfer(w1.id, target_window_id=w3.id)
        assert queue.call_next(w2.id, now=at(3)).number == "A002"
        assert queue.call_next(w2.id, now=at(4)) is None
        assert queue.call_next(w3.id, now=at(5)).number == "A001"


def test_call_recall_no_show_and_the_call_log(app: Flask) -> None:
    with app.app_context():
        gk = make_service()
        w = make_window(13, gk)
        queue.issue_ticket("gk", now=at(0))
        queue.issue_ticket("gk", now=at(0.5))
        queue.call_next(w.id, now=at(1))
        queue.recall(w.id, now=at(2))
        gone = queue.no_show(w.id, now=at(3))
        assert gone.status == TicketStatus.NO_SHOW and gone.call_count == 2
        with pytest.raises(queue.QueueError):
            queue.recall(w.id)
        back = queue.call_ticket(w.id, "a002", now=at(4))
        assert back.number == "A002"
        calls = db.session.scalars(db.select(Call).order_by(Call.id)).all()
        assert [(c.number, c.window_number, c.recall) for c in calls] == [
            ("A001", 13, False), ("A001", 13, True), ("A002", 13, False)]


def test_closed_services_say_why_and_when(app: Flask) -> None:
    with app.app_context():
        make_service("early", name="不动产", prefix="C", opens_at=dt.time(11, 0),
                     closes_at=dt.time(17, 0))
        make_service("full", name="社保", prefix="D", daily_limit=1)
        make_service("stop", name="帮办代办", prefix="E", paused=True, pause_note="系统维护")
        queue.issue_ticket("full", now=at(0))
        by_code = {s["code"]: s for s in queue.services_overview(at(1))}
        assert by_code["early"]["open"] is False and by_code["early"]["reason"] == "before_hours"
        assert "11:00" in by_code["early"]["message"]
        assert by_code["full"]["reason"] == "full" and by_code["full"]["opens_at"]
        assert by_code["stop"]["reason"] == "paused" and "系统维护" in by_code["stop"]["message"]
        with pytest.raises(queue.QueueError) as refused:
            queue.issue_ticket("full", now=at(2))
        assert refused.value.code == "closed"


def test_appointment_check_in_gives_one_priority_ticket(app: Flask) -> None:
    with app.app_context():
        gk = make_service()
        queue.issue_ticket("gk", now=at(0))
        db.session.add(Appointment(code="K7Q2M9", service_id=gk.id, day=dt.date(2026, 11, 25)))
        db.session.commit()
        first = queue.check_in(" k7q2m9 ", now=at(1))
        assert first.ahead == 0 and first.ticket.appointment_id is not None
        assert queue.check_in("K7Q2M9", now=at(2)).ticket.id == first.ticket.id
        with pytest.raises(queue.QueueError):
            queue.check_in("NOPE00", now=at(2))
