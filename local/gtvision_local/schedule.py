"""EventBridge schedule expressions: ``rate(...)`` and six-field AWS ``cron(...)``, in UTC.

Supported cron syntax: ``*``, ``?``, lists (``,``), ranges (``-``), steps (``/``), month and
weekday names; ``L``, ``W`` and ``#`` are refused (no template uses them). Weekdays are AWS's
1-7 = SUN-SAT.

:class:`Scheduler` fires a template's ``Schedule`` events with these expressions (injectable clock).
"""

from __future__ import annotations

import calendar
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from . import events
from .invoker import Invoker
from .logs import as_function, log
from .template import FunctionSpec, ScheduleEvent

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {d: i + 1 for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


class ScheduleError(ValueError):
    """An expression this runtime cannot parse."""


@dataclass(frozen=True)
class Rate:
    period: timedelta

    def next_after(self, moment: datetime, anchor: datetime) -> datetime:
        """The first ``anchor + k*period`` strictly after ``moment``."""
        steps = (moment - anchor) // self.period + 1
        return anchor + max(steps, 1) * self.period


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None  # None = "any" (* or ?)
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # AWS 1-7 = SUN-SAT; None = "any"
    years: frozenset[int] | None

    def _day_ok(self, day: datetime) -> bool:
        aws_dow = (day.weekday() + 1) % 7 + 1  # Python MON=0 -> AWS MON=2
        dom_ok = self.days_of_month is None or day.day in self.days_of_month
        return dom_ok and (self.days_of_week is None or aws_dow in self.days_of_week)

    def next_after(self, moment: datetime, anchor: datetime | None = None) -> datetime | None:
        """The first matching minute strictly after ``moment`` (``None`` when the years ran out)."""
        t = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        last_year = max(self.years) if self.years else t.year + 10
        while t.year <= last_year:
            if (self.years is not None and t.year not in self.years) or t.month not in self.months:
                t = _first_of_next_month(t)
            elif not self._day_ok(t):
                t = (t + timedelta(days=1)).replace(hour=0, minute=0)
            elif t.hour not in self.hours:
                t = (t + timedelta(hours=1)).replace(minute=0)
            elif t.minute not in self.minutes:
                t += timedelta(minutes=1)
            else:
                return t
        return None


Expression = Rate | Cron


def _first_of_next_month(t: datetime) -> datetime:
    year, month = (t.year + 1, 1) if t.month == 12 else (t.year, t.month + 1)
    return t.replace(year=year, month=month, day=1, hour=0, minute=0)


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int] | None:
    """Parse one cron field into the set of values it allows (``None`` for ``*``/``?``)."""
    if text in ("*", "?"):
        return None
    values: set[int] = set()

    def number(token: str) -> int:
        token = token.upper()
        if names and token in names:
            return names[token]
        if not token.isdigit():
            raise ScheduleError(f"unsupported cron token {token!r}")
        return int(token)

    for part in text.split(","):
        step = 1
        has_step = "/" in part
        if has_step:
            part, step_text = part.split("/", 1)
            step = number(step_text)
            if step < 1:
                raise ScheduleError(f"cron step must be >= 1 in {text!r}")
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = number(a), number(b)
        else:
            start = number(part)
            end = high if has_step else start  # "5/10" = from 5 every 10
        if not (low <= start <= high and low <= end <= high and start <= end):
            raise ScheduleError(f"cron value out of range {low}-{high} in {text!r}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse(expression: str) -> Expression:
    """Parse ``rate(N unit)`` or ``cron(min hour dom month dow year)``."""
    expression = expression.strip()
    if m := _RATE.match(expression):
        count, unit = int(m.group(1)), m.group(2).rstrip("s")
        if count < 1:
            raise ScheduleError(f"rate must be positive: {expression!r}")
        if (count == 1) != (not m.group(2).endswith("s")):
            raise ScheduleError(f"rate({count} {m.group(2)}): use the singular unit only for 1")
        return Rate(timedelta(seconds=count * _UNITS[unit]))
    if m := _CRON.match(expression):
        fields = m.group(1).split()
        if len(fields) != 6:
            raise ScheduleError(f"cron needs 6 fields (min hour day-of-month month day-of-week year): {expression!r}")
        minute, hour, dom, month, dow, year = fields
        if dom != "?" and dow != "?":
            raise ScheduleError(f"cron: one of day-of-month or day-of-week must be '?': {expression!r}")
        return Cron(
            minutes=_field(minute, 0, 59) or frozenset(range(60)),
            hours=_field(hour, 0, 23) or frozenset(range(24)),
            days_of_month=_field(dom, 1, 31),
            months=_field(month, 1, 12, _MONTHS) or frozenset(range(1, 13)),
            days_of_week=_field(dow, 1, 7, _DAYS),
            years=_field(year, 1970, 2199),
        )
    raise ScheduleError(f"not a schedule expression: {expression!r}")


# ---------------------------------------------------------------- scheduler


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ScheduleTarget:
    function_id: str
    event: ScheduleEvent
    expression: Expression
    anchor: datetime
    next_fire: datetime | None
    fire_now: bool = False

    @property
    def rule_arn(self) -> str:
        return events.schedule_rule_arn(self.function_id, self.event.name)


class Scheduler:
    """Fires ``Schedule`` events. Missed fires (clock jumps, a long run) coalesce into one."""

    def __init__(
        self,
        invoker: Invoker,
        targets: list[tuple[FunctionSpec, ScheduleEvent]],
        *,
        clock: Callable[[], datetime] | None = None,
        fire_at_start: bool = False,
    ) -> None:
        self.invoker = invoker
        self.clock = clock or utc_now
        now = self.clock()
        self.targets = []
        for fn, ev in targets:
            expression = parse(ev.expression)
            self.targets.append(
                ScheduleTarget(fn.logical_id, ev, expression, now, expression.next_after(now, now), fire_at_start)
            )

    def tick(self) -> list[tuple[str, datetime]]:
        """Fire every due target once; returns ``(function id, scheduled time)`` of each fire."""
        now = self.clock()
        fired = []
        for target in self.targets:
            if target.fire_now:
                target.fire_now = False
                fired.append((target.function_id, now))
                self._fire(target, now)
            if target.next_fire is not None and target.next_fire <= now:
                moment = target.next_fire
                target.next_fire = target.expression.next_after(now, target.anchor)
                fired.append((target.function_id, moment))
                self._fire(target, moment)
        return fired

    def _fire(self, target: ScheduleTarget, moment: datetime) -> None:
        event = (
            json.loads(target.event.input) if target.event.input else events.scheduled_event(target.rule_arn, moment)
        )
        try:
            self.invoker.invoke(target.function_id, event)
        except Exception:  # logged by invoke; a schedule keeps firing after a failed run
            pass

    def seconds_until_next(self) -> float:
        upcoming = [t.next_fire for t in self.targets if t.next_fire is not None]
        if not upcoming:
            return 60.0
        return max(0.0, (min(upcoming) - self.clock()).total_seconds())

    def run(self, stop: threading.Event) -> None:
        for target in self.targets:
            with as_function(target.function_id):
                log.info(
                    "schedule %s: %s, next %s",
                    target.event.name,
                    target.event.expression,
                    target.next_fire and events.iso_z(target.next_fire),
                )
        while not stop.is_set():
            self.tick()
            stop.wait(min(1.0, max(0.05, self.seconds_until_next())))
