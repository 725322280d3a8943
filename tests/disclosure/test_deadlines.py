"""Reply deadlines to the day on the 2026 State Council calendar (chinesecalendar data):

National Day 2026: 10-01..10-07 off, make-up workdays Sun 09-20 and Sat 10-10; 中秋 09-25 off.
Spring Festival 2026: 02-15..02-23 off, make-up workdays Sat 02-14 and Sat 02-28.
The expected dates below are counted by hand on that calendar, not by the code under test.
"""

from __future__ import annotations

import datetime as dt

import pytest

from disclosure.deadlines import (
    REPLY_WORKDAYS,
    compute_due,
    remaining_workdays,
    supplement_request_by,
)
from hall.calendar import WorkdayCalendar

CAL = WorkdayCalendar()
D = dt.date


def test_the_calendar_is_the_one_counted_by_hand() -> None:
    assert not any(CAL.is_workday(D(2026, 10, d)) for d in range(1, 8))
    assert CAL.is_workday(D(2026, 9, 20)) and CAL.is_workday(D(2026, 10, 10))
    assert not CAL.is_workday(D(2026, 9, 25))
    assert CAL.is_workday(D(2026, 2, 14)) and CAL.is_workday(D(2026, 2, 28))
    assert not any(CAL.is_workday(D(2026, 2, d)) for d in range(15, 24))


@pytest.mark.parametrize(("received", "due"), [
    # Wed before National Day: Oct 8, 9, Sat 10 (make-up), 12–16, 19–23, 26–30, Nov 2, 3.
    (D(2026, 9, 30), D(2026, 11, 3)),
    # Fri before the make-up Sunday 09-20, across 中秋 (09-25) and National Day.
    (D(2026, 9, 18), D(2026, 10, 22)),
    # Fri 10-09: the make-up Saturday 10-10 is the first working day.
    (D(2026, 10, 9), D(2026, 11, 5)),
    # Fri before Spring Festival: Sat 02-14 (make-up) is day 1, Sat 02-28 day 6.
    (D(2026, 2, 13), D(2026, 3, 19)),
    # A plain week in November.
    (D(2026, 11, 25), D(2026, 12, 23)),
])
def test_twenty_working_days_after_receipt(received: dt.date, due: dt.date) -> None:
    got, note = compute_due(received, 0, 0, CAL)
    assert got == due
    assert f"{received.year}年{received.month}月{received.day}日" in note
    assert "收到申请" in note and f"{due.month}月{due.day}日" in note
    assert "→" not in note  # nothing was added


@pytest.mark.parametrize(("received", "due"), [
    (D(2026, 10, 3), D(2026, 11, 3)),  # a Saturday inside National Day
    (D(2026, 10, 1), D(2026, 11, 3)),  # National Day itself
    (D(2026, 2, 17), D(2026, 3, 20)),  # inside Spring Festival: 02-24 is day 1
    (D(2026, 2, 15), D(2026, 3, 20)),
])
def test_received_on_a_holiday_the_day_itself_never_counts(received: dt.date,
                                                           due: dt.date) -> None:
    assert compute_due(received, 0, 0, CAL)[0] == due


def test_supplement_must_be_requested_within_seven_working_days() -> None:
    # Mon 09-28: 29, 30, Oct 8, 9, Sat 10, 12, 13.
    assert supplement_request_by(D(2026, 9, 28), CAL) == D(2026, 10, 13)


def test_supplement_restarts_the_clock_from_its_arrival() -> None:
    due, note = compute_due(D(2026, 10, 16), 0, 0, CAL, restarted=True)
    assert due == D(2026, 11, 13)  # Oct 19–23, 26–30, Nov 2–6, 9–13
    assert "收到补正材料" in note


def test_third_party_pause_and_extension_move_the_date() -> None:
    # Received 09-30 (due 11-03); third party consulted 10-12..10-16: 13, 14, 15, 16 paused.
    paused = CAL.workdays_between(D(2026, 10, 12), D(2026, 10, 16))
    assert paused == 4
    due, note = compute_due(D(2026, 9, 30), paused, 0, CAL, pause_kind="third_party")
    assert due == D(2026, 11, 9)
    assert note == ("自 2026年9月30日（收到申请）次日起算 20 个工作日为 11月3日；"
                    "征求第三方意见暂停 4 个工作日 → 11月9日")
    due, note = compute_due(D(2026, 9, 30), paused, 10, CAL, pause_kind="third_party")
    assert due == D(2026, 11, 23)
    assert note.endswith("征求第三方意见暂停 4 个工作日；经批准延长 10 个工作日 → 11月23日")


def test_the_longest_extension() -> None:
    due, note = compute_due(D(2026, 9, 30), 0, 20, CAL)
    assert due == D(2026, 12, 1)
    assert "经批准延长 20 个工作日 → 12月1日" in note


def test_while_paused_the_date_is_provisional_and_the_note_says_so() -> None:
    # Paused since Mon 10-12; on Wed 10-14 two working days (13, 14) are paused so far.
    due, note = compute_due(D(2026, 9, 30), 0, 0, CAL, paused_on=D(2026, 10, 12),
                            today=D(2026, 10, 14), running_kind="agency")
    assert due == D(2026, 11, 5)
    assert "暂停中" in note and "征求其他机关意见" in note
    # Oct 8, 9, 10, 12 ran before the pause: 16 of 20 left, and they do not shrink.
    assert "尚余 16 个工作日" in note
    for today in (D(2026, 10, 14), D(2026, 10, 30)):
        assert remaining_workdays(D(2026, 9, 30), 0, 0, CAL, D(2026, 10, 12), today) == 16


def test_remaining_working_days_count_down_and_go_negative() -> None:
    start = D(2026, 11, 25)
    assert remaining_workdays(start, 0, 0, CAL, today=start) == REPLY_WORKDAYS
    assert remaining_workdays(start, 0, 0, CAL, today=D(2026, 11, 30)) == 17  # 26, 27, 30
    assert remaining_workdays(start, 0, 0, CAL, today=D(2026, 12, 23)) == 0
    assert remaining_workdays(start, 0, 0, CAL, today=D(2026, 12, 24)) == -1


def test_staff_overrides_win_over_the_package() -> None:
    cal = WorkdayCalendar({D(2026, 11, 27): False})  # a local day off
    assert compute_due(D(2026, 11, 25), 0, 0, cal)[0] == D(2026, 12, 24)


def test_year_boundary_note_shows_the_year() -> None:
    due, note = compute_due(D(2026, 12, 15), 0, 0, CAL)
    assert due.year == 2027
    assert f"为 2027年{due.month}月{due.day}日" in note


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        compute_due(D(2026, 9, 30), -1, 0, CAL)
