"""A question's period as local days of the shop's calendar (metrics.days.DayRange)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from console.assistant.questions import Ask, PeriodName
from metrics.days import DayRange

DEFAULT_DAYS = 30
"""The period of a question that names none: the last 30 days."""


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def days_of(ask: Ask, *, today: date, zone: ZoneInfo) -> DayRange:
    """The days `ask` speaks of (the last 30 when it names no period)."""
    period = ask.period
    if period == PeriodName.TODAY:
        first = last = today
    elif period == PeriodName.YESTERDAY:
        first = last = today - timedelta(days=1)
    elif period == PeriodName.THIS_WEEK:
        first, last = today - timedelta(days=today.weekday()), today
    elif period == PeriodName.LAST_WEEK:
        last = today - timedelta(days=today.weekday() + 1)
        first = last - timedelta(days=6)
    elif period == PeriodName.THIS_MONTH:
        first, last = _month_start(today), today
    elif period == PeriodName.LAST_MONTH:
        last = _month_start(today) - timedelta(days=1)
        first = _month_start(last)
    elif period == PeriodName.THIS_YEAR:
        first, last = today.replace(month=1, day=1), today
    elif period == PeriodName.LAST_YEAR:
        first, last = date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    elif period == PeriodName.MONTH and ask.month is not None:
        year = today.year if ask.month <= today.month else today.year - 1
        first = date(year, ask.month, 1)
        last = min(_month_end(first), today)
    else:
        count = ask.days if period == PeriodName.LAST_DAYS and ask.days else DEFAULT_DAYS
        first, last = today - timedelta(days=count - 1), today
    return DayRange(first, last, zone)
