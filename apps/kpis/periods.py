"""Reporting periods: years, quarters, months and ISO-8601 weeks, parsed and validated here only.

Keys are ``2026`` (year), ``2026-Q4`` (quarter), ``2026-11`` (month) and ``2026-W47`` (ISO week).

ISO weeks run Monday to Sunday and are numbered within an *ISO year*: week 1 is the week that
holds the year's first Thursday, so an ISO year has 52 or 53 weeks and a week may straddle two
calendar years (``2026-W01`` is Monday 2025-12-29 to Sunday 2026-01-04).

The Thursday rule: a week belongs to the month, quarter and year that contain its Thursday (its
:attr:`Period.anchor`). Every week therefore lies in exactly one month, one quarter and one year,
so weekly results roll up into coarser periods without double counting. For months, quarters and
years the anchor is simply the first day.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class PeriodType(models.TextChoices):
    WEEK = "week", _("week")
    MONTH = "month", _("month")
    QUARTER = "quarter", _("quarter")
    YEAR = "year", _("year")


# Finer periods have lower ranks; a period can only contain periods of a lower rank (or itself).
RANK: dict[PeriodType, int] = {
    PeriodType.WEEK: 0,
    PeriodType.MONTH: 1,
    PeriodType.QUARTER: 2,
    PeriodType.YEAR: 3,
}

# Lazy: it is rendered in the language active when the error message is built.
ACCEPTED_FORMS: Promise = _(
    "2026 (year), 2026-Q4 (quarter), 2026-11 (month) or 2026-W47 (ISO week)"
)

MIN_YEAR, MAX_YEAR = 1000, 9999
THURSDAY = 3  # date.weekday()

_KEY = re.compile(
    r"(?P<year>[1-9][0-9]{3})"
    r"(?:-(?:[Qq](?P<quarter>[0-9])|[Ww](?P<week>[0-9]{2})|(?P<month>[0-9]{2})))?"
)


class PeriodError(ValueError):
    """A bad period key (or a period that does not exist, such as week 53 of a 52-week year).

    ``str(error)`` is a translated sentence that quotes the bad key and lists the accepted forms.
    """

    def __init__(self, key: object, message: str | None = None) -> None:
        self.key = key
        if message is None:
            # Translators: %(key)s is what the user typed; %(forms)s lists the accepted forms.
            message = gettext("“%(key)s” is not a period. Use %(forms)s.") % {
                "key": key,
                "forms": ACCEPTED_FORMS,
            }
        super().__init__(message)


def weeks_in_iso_year(year: int) -> int:
    """52 or 53: 28 December always lies in the last ISO week of its year."""
    return date(year, 12, 28).isocalendar().week


# Frozen: cached_property writes the instance __dict__ directly, so key/dates are computed once.
@dataclass(frozen=True)
class Period:
    """One year, quarter, month or ISO week. ``year`` is the ISO year for weeks."""

    type: PeriodType
    year: int
    number: int  # 1 for years, 1–4 for quarters, 1–12 for months, 1–52/53 for weeks

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", PeriodType(self.type))
        for value in (self.year, self.number):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Period year and number must be int, not {value!r}")
        if not MIN_YEAR <= self.year <= MAX_YEAR or not 1 <= self.number <= self._count():
            raise PeriodError(self.key)
        if self.type == PeriodType.WEEK and self.start > date.max - timedelta(days=6):
            raise PeriodError(self.key)  # 9999-W52 would end in the year 10000

    def _count(self) -> int:
        """How many periods of this type the (ISO) year has."""
        if self.type == PeriodType.WEEK:
            return weeks_in_iso_year(self.year)
        return {PeriodType.MONTH: 12, PeriodType.QUARTER: 4, PeriodType.YEAR: 1}[self.type]

    @classmethod
    def parse(cls, key: str) -> "Period":
        """Parse a key strictly (surrounding whitespace and a lower-case q/w are tolerated)."""
        if not isinstance(key, str):
            raise PeriodError(key)
        match = _KEY.fullmatch(key.strip())
        if match is None:
            raise PeriodError(key)
        year, quarter, week, month = match.group("year", "quarter", "week", "month")
        if quarter:
            type_, number = PeriodType.QUARTER, quarter
        elif week:
            type_, number = PeriodType.WEEK, week
        elif month:
            type_, number = PeriodType.MONTH, month
        else:
            type_, number = PeriodType.YEAR, "1"
        try:
            return cls(type_, int(year), int(number))
        except PeriodError:
            raise PeriodError(key) from None

    @classmethod
    def for_date(cls, day: date, type: PeriodType) -> "Period":
        """The period of ``type`` containing ``day`` (for weeks: the ISO week of the day)."""
        type = PeriodType(type)
        if type == PeriodType.WEEK:
            iso = day.isocalendar()
            return cls(type, iso.year, iso.week)
        if type == PeriodType.MONTH:
            return cls(type, day.year, day.month)
        if type == PeriodType.QUARTER:
            return cls(type, day.year, (day.month - 1) // 3 + 1)
        return cls(type, day.year, 1)

    @cached_property
    def key(self) -> str:
        """The canonical key: ``2026``, ``2026-Q4``, ``2026-11`` or ``2026-W47``."""
        if self.type == PeriodType.WEEK:
            return f"{self.year:04d}-W{self.number:02d}"
        if self.type == PeriodType.MONTH:
            return f"{self.year:04d}-{self.number:02d}"
        if self.type == PeriodType.QUARTER:
            return f"{self.year:04d}-Q{self.number}"
        return f"{self.year:04d}"

    @cached_property
    def start(self) -> date:
        """The first day (a Monday for weeks, possibly in the previous calendar year)."""
        if self.type == PeriodType.WEEK:
            return date.fromisocalendar(self.year, self.number, 1)
        if self.type == PeriodType.MONTH:
            return date(self.year, self.number, 1)
        if self.type == PeriodType.QUARTER:
            return date(self.year, 3 * self.number - 2, 1)
        return date(self.year, 1, 1)

    @cached_property
    def end(self) -> date:
        """The last day, inclusive (a Sunday for weeks, possibly in the next calendar year)."""
        if self.type == PeriodType.WEEK:
            return self.start + timedelta(days=6)
        last_month = {
            PeriodType.MONTH: self.number,
            PeriodType.QUARTER: 3 * self.number,
            PeriodType.YEAR: 12,
        }[self.type]
        return date(self.year, last_month, calendar.monthrange(self.year, last_month)[1])

    @cached_property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @cached_property
    def anchor(self) -> date:
        """The day that places this period in coarser ones: the Thursday of a week, else start."""
        if self.type == PeriodType.WEEK:
            return self.start + timedelta(days=THURSDAY)
        return self.start

    def __str__(self) -> str:
        return self.key

    def contains(self, other: "Period") -> bool:
        """Whether ``other`` is this period or a finer one whose anchor lies inside it."""
        if other == self:
            return True
        return RANK[other.type] < RANK[self.type] and self.start <= other.anchor <= self.end

    def parent(self, type: PeriodType) -> "Period":
        """The period of the coarser (or same) ``type`` containing this one, found by anchor."""
        type = PeriodType(type)
        if RANK[type] < RANK[self.type]:
            raise ValueError(f"A {self.type.value} has no parent {type.value}.")
        return Period.for_date(self.anchor, type)

    def children(self, type: PeriodType) -> list["Period"]:
        """The periods of the finer ``type`` inside this one, in order.

        For weeks these are the weeks whose Thursday lies in this period: 4 or 5 per month, 13 or
        14 per quarter, 52 or 53 per year (all weeks of the ISO year, for a year).
        """
        type = PeriodType(type)
        if RANK[type] > RANK[self.type]:
            raise ValueError(f"A {self.type.value} has no child {type.value}.")
        if type == self.type:
            return [self]
        first, last = self.start, self.end
        if type == PeriodType.WEEK:  # first and last Thursday inside this period
            first += timedelta(days=(THURSDAY - first.weekday()) % 7)
            last -= timedelta(days=(last.weekday() - THURSDAY) % 7)
        return period_range(Period.for_date(first, type), Period.for_date(last, type))

    def _index(self) -> int:
        """A running number: consecutive periods of one type have consecutive indexes."""
        if self.type == PeriodType.WEEK:
            return (self.start.toordinal() - 1) // 7  # date.min (ordinal 1) is a Monday
        per_year = {PeriodType.MONTH: 12, PeriodType.QUARTER: 4, PeriodType.YEAR: 1}[self.type]
        return self.year * per_year + self.number - 1

    def shift(self, n: int) -> "Period":
        """The period ``n`` periods later (earlier when negative), of the same type."""
        if self.type == PeriodType.WEEK:
            try:
                monday = self.start + timedelta(weeks=n)
            except OverflowError:
                raise PeriodError(f"{self.key}{n:+d}") from None
            return Period.for_date(monday, self.type)
        per_year = {PeriodType.MONTH: 12, PeriodType.QUARTER: 4, PeriodType.YEAR: 1}[self.type]
        year, number = divmod(self._index() + n, per_year)
        return Period(self.type, year, number + 1)

    def next(self) -> "Period":
        return self.shift(1)

    def previous(self) -> "Period":
        return self.shift(-1)

    def last(self, n: int) -> list["Period"]:
        """The ``n`` periods ending with this one, oldest first."""
        if n < 1:
            raise ValueError(f"last() needs n >= 1, not {n}.")
        return period_range(self.shift(1 - n), self)

    def _rank_key(self, other: object) -> tuple[int, int] | None:
        """Comparison key of ``self`` after checking ``other``; None if other is no Period."""
        if not isinstance(other, Period):
            return None
        if other.type != self.type:
            raise TypeError(f"Cannot order a {self.type.value} against a {other.type.value}.")
        return self._index(), other._index()

    def __lt__(self, other: object) -> bool:
        keys = self._rank_key(other)
        return NotImplemented if keys is None else keys[0] < keys[1]

    def __le__(self, other: object) -> bool:
        keys = self._rank_key(other)
        return NotImplemented if keys is None else keys[0] <= keys[1]

    def __gt__(self, other: object) -> bool:
        keys = self._rank_key(other)
        return NotImplemented if keys is None else keys[0] > keys[1]

    def __ge__(self, other: object) -> bool:
        keys = self._rank_key(other)
        return NotImplemented if keys is None else keys[0] >= keys[1]


def parse_period(key: str) -> Period:
    """Parse a period key; raises :class:`PeriodError` with a translated message."""
    return Period.parse(key)


def is_valid_key(key: str) -> bool:
    try:
        Period.parse(key)
    except PeriodError:
        return False
    return True


def period_range(first: Period, last: Period) -> list[Period]:
    """Every period from ``first`` to ``last`` inclusive (empty if first is after last)."""
    if first.type != last.type:
        raise PeriodError(
            f"{first}…{last}",
            gettext("“%(first)s” and “%(last)s” are different kinds of period.")
            % {"first": first, "last": last},
        )
    return [first.shift(i) for i in range(last._index() - first._index() + 1)]
