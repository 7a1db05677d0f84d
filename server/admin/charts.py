"""Chart geometry for the statistics page, drawn as inline SVG by templates/admin/charts.html.

Why no chart library: the console loads nothing from a CDN, its CSP allows no inline script, and
two chart types (stacked bars per day, stacked shares per rule) are a few rectangles whose
positions are computed here and tested like any other function. A JavaScript library would add
a bundle to vendor and audit, draw nothing without script, and be no more accessible: every
chart here has a data table under it anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# Hues apart from the outcome colours below, so a rule never looks like an outcome.
PALETTE = (
    "#0f6cbd",
    "#e69f00",
    "#7a5195",
    "#cc79a7",
    "#003f5c",
    "#b8a200",
    "#8c564b",
    "#2f9ea0",
    "#ef5675",
    "#4d4d4d",
)
OUTCOMES = (
    ("changed_recipients", "Changed recipients", "#009e73"),
    ("edited", "Edited the text", "#56b4e9"),
    ("sent_anyway", "Sent anyway", "#d55e00"),
    ("dismissed", "Dismissed", "#8a8a8a"),
)

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 28


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def daily_chart(rows: list[tuple[date, str, int]], start: date, end: date) -> StackedChart:
    """Stacked bars: one per day, one segment per rule, from (day, rule, count) rows."""
    days = days_between(start, end)
    rules = sorted({rule for _, rule, _ in rows})
    stack = _stack(days, [d.strftime("%d %b") for d in days], rows, rules, _isoformat)
    return StackedChart(days, rules, *stack)


@dataclass(frozen=True)
class StackedChart:
    """Stacked bars over columns: days (the console's statistics), months or audience sizes
    (the backtest report), all drawn by the `daily_bars` macro."""

    columns: list  # dates or labels
    rules: list[str]
    colours: dict[str, str]
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    table: list[tuple[object, list[int], int]]  # column, count per rule, total
    totals: list[int]  # per rule
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    plot_bottom: int = HEIGHT - BOTTOM


def stacked_chart(
    columns: list[str], rows: list[tuple[str, str, int]], rules: list[str] | None = None
) -> StackedChart:
    """Stacked bars: one per column, one segment per rule, from (column, rule, count) rows.

    `rules` fixes the order (and so the colours) of the series, to match other charts.
    """
    rules = list(rules) if rules is not None else sorted({rule for _, rule, _ in rows})
    return StackedChart(columns, rules, *_stack(columns, columns, rows, rules, str))


def _isoformat(day: date) -> str:
    return day.isoformat()


def _stack(keys: list, labels: list[str], rows: list[tuple], rules: list[str], title) -> tuple:
    """The geometry shared by both charts: colours, bars, ticks, table, totals."""
    colours = {rule: PALETTE[i % len(PALETTE)] for i, rule in enumerate(rules)}
    counts = {(key, rule): count for key, rule, count in rows}
    table = []
    for key in keys:
        per_rule = [counts.get((key, rule), 0) for rule in rules]
        table.append((key, per_rule, sum(per_rule)))
    top = _nice_max(max((total for _, _, total in table), default=0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(keys), 1)
    bar_w = max(slot * 0.7, 1)
    bars = []
    for index, (key, per_rule, _) in enumerate(table):
        y = HEIGHT - BOTTOM
        for rule, count in zip(rules, per_rule, strict=True):
            if not count:
                continue
            h = count / top * plot_h
            y -= h
            bars.append(
                Bar(
                    x=round(LEFT + index * slot + (slot - bar_w) / 2, 2),
                    y=round(y, 2),
                    width=round(bar_w, 2),
                    height=round(h, 2),
                    colour=colours[rule],
                    title=f"{title(key)}: {rule} {count}",
                )
            )
    y_ticks = [
        Tick(round(HEIGHT - BOTTOM - plot_h * share, 2), str(round(top * share)))
        for share in (0, 0.5, 1)
        if share == 0 or top * share == int(top * share)
    ]
    every = max(1, round(len(keys) / 8))
    x_ticks = [
        Tick(round(LEFT + index * slot + slot / 2, 2), label)
        for index, label in enumerate(labels)
        if index % every == 0
    ]
    totals = [sum(per_rule[i] for _, per_rule, _ in table) for i in range(len(rules))]
    return colours, bars, y_ticks, x_ticks, table, totals


@dataclass(frozen=True)
class OutcomeRow:
    rule: str
    shown: int
    counts: list[int]  # per OUTCOMES
    segments: list[Bar]  # the stacked bar, as shares of `shown` (or of all outcomes)

    @property
    def reacted(self) -> int:
        return sum(self.counts)


OUTCOME_WIDTH = 520


def outcome_rows(totals: dict[str, dict[str, int]]) -> list[OutcomeRow]:
    """For each rule, what people did after seeing its finding, as a bar of shares.

    Shares are of the findings shown; when clients reported more outcomes than showings (an old
    client that does not report showings), of the outcomes reported instead.
    """
    rows = []
    for rule in sorted(totals):
        outcome_counts = totals[rule]
        counts = [outcome_counts.get(key, 0) for key, _, _ in OUTCOMES]
        shown = outcome_counts.get("shown", 0)
        whole = max(shown, sum(counts), 1)
        x = 0.0
        segments = []
        for (_key, label, colour), count in zip(OUTCOMES, counts, strict=True):
            if not count:
                continue
            width = count / whole * OUTCOME_WIDTH
            segments.append(
                Bar(
                    round(x, 2),
                    0,
                    round(width, 2),
                    22,
                    colour,
                    f"{rule}: {label.lower()} {count} ({count / whole:.0%})",
                )
            )
            x += width
        if shown or any(counts):
            rows.append(OutcomeRow(rule, shown, counts, segments))
    return rows
