"""The backtest report: one HTML file that needs nothing else (no script, no stylesheet or font
from elsewhere; the charts are inline SVG drawn by the admin console's own chart code).

`report_context(tally, info)` computes every table and chart as plain values;
`render_report` puts them in the standalone page, and the admin console can render the same
context with `backtest/sections.html` inside its own layout.
"""

from __future__ import annotations

from datetime import date

from jinja2 import Environment, PackageLoader, select_autoescape

from ..admin import charts
from .sources import Problem
from .tally import AUDIENCE_BUCKETS, UNKNOWN_MONTH, Tally

SEVERITIES = ("hint", "warning", "block")
COMPOSE_TYPES = (
    ("new", "New messages"),
    ("reply", "Replies to one person"),
    ("reply_all", "Replies to all"),
    ("forward", "Forwards"),
)
PROBLEMS = {
    Problem.UNREADABLE: "Unreadable: a read error, a broken archive, .msg or .pst item",
    Problem.NOT_MAIL: "Not e-mail: files or parts of a mailbox that are not messages",
    Problem.OVER_CAP: "Over the size cap: only the first part of each was read and linted",
    Problem.TRUNCATED: "Truncated: the file ends in the middle of a line (linted as read)",
    Problem.INVALID: "No valid draft could be made of the message",
    Problem.FAILED: "An error of draftlint's while linting (please report it)",
}
MAX_MONTH_GAP_FILL = 120  # months: a longer span shows only the months that have mail
TOP_AUTHORS = 20


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "–"


def _months(present: list[str]) -> list[str]:
    """The months from the first to the last with mail, gaps filled; "undated" last."""
    dated = sorted(m for m in present if m != UNKNOWN_MONTH)
    months = dated
    if dated:
        first, last = date.fromisoformat(dated[0] + "-01"), date.fromisoformat(dated[-1] + "-01")
        span = (last.year - first.year) * 12 + last.month - first.month + 1
        if span <= MAX_MONTH_GAP_FILL:
            months = []
            year, month = first.year, first.month
            for _ in range(span):
                months.append(f"{year:04d}-{month:02d}")
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if UNKNOWN_MONTH in present:
        months.append(UNKNOWN_MONTH)
    return months


def _flagged_rows(labels: list[str], messages: dict, flagged: dict) -> list[dict]:
    """One table row per label: messages, how many were flagged and their share."""
    return [
        {
            "label": label,
            "messages": messages.get(label, 0),
            "flagged": flagged.get(label, 0),
            "share": _share(flagged.get(label, 0), messages.get(label, 0)),
        }
        for label in labels
    ]


def report_context(tally: Tally, info: dict) -> dict:
    """Every number, table and chart of the report, from the tally and the run's info."""
    main = tally.main
    other = tally.compare
    rules = sorted(
        {rule for rule, _ in main.findings} | ({r for r, _ in other.findings} if other else set())
    )
    severity_rows = []
    for rule in rules:
        counts = [main.findings.get((rule, s), 0) for s in SEVERITIES]
        severity_rows.append(
            {
                "rule": rule,
                "counts": counts,
                "total": sum(counts),
                "messages": main.rule_messages.get(rule, 0),
                "share": _share(main.rule_messages.get(rule, 0), tally.linted),
            }
        )
    severity_totals = [sum(row["counts"][i] for row in severity_rows) for i in range(3)]
    compose_rows = [
        {
            "key": key,
            "label": label,
            "messages": tally.compose.get(key, 0),
            "flagged": main.compose_flagged.get(key, 0),
            "share": _share(main.compose_flagged.get(key, 0), tally.compose.get(key, 0)),
        }
        for key, label in COMPOSE_TYPES
    ]
    buckets = [label for _, label in AUDIENCE_BUCKETS]
    audience_chart = charts.stacked_chart(
        buckets, [(b, r, n) for (b, r), n in tally.audience_rule.items()], rules
    )
    audience_rows = [
        row
        for row in _flagged_rows(buckets, tally.audience, tally.audience_flagged)
        if row["messages"]
    ]
    months = _months(list(tally.month))
    month_chart = charts.stacked_chart(
        months, [(m, r, n) for (m, r), n in tally.month_rule.items()], rules
    )
    month_rows = _flagged_rows(months, tally.month, tally.month_flagged)
    compare_rows = []
    if other is not None:
        for rule in rules:
            a = sum(main.findings.get((rule, s), 0) for s in SEVERITIES)
            b = sum(other.findings.get((rule, s), 0) for s in SEVERITIES)
            compare_rows.append(
                {
                    "rule": rule,
                    "policy": a,
                    "compare": b,
                    "difference": b - a,
                    "policy_severity": _severities(main, rule),
                    "compare_severity": _severities(other, rule),
                }
            )
    ranked = sorted(tally.authors, key=lambda a: (-tally.authors_flagged.get(a, 0), a))
    author_rows = [
        {
            "label": author,
            "messages": tally.authors[author],
            "flagged": tally.authors_flagged.get(author, 0),
            "share": _share(tally.authors_flagged.get(author, 0), tally.authors[author]),
        }
        for author in ranked[:TOP_AUTHORS]
        if tally.authors_flagged.get(author, 0)
    ]
    problem_rows = [
        {
            "kind": kind,
            "heading": PROBLEMS[kind],
            "count": tally.problems[kind],
            "positions": tally.problem_positions.get(kind, []),
            "more": tally.problems[kind] - len(tally.problem_positions.get(kind, [])),
        }
        for kind in Problem.ORDER
        if tally.problems.get(kind)
    ]
    charset_rows = [
        {"name": name, "messages": count, "unknown": name in tally.unknown_charsets}
        for name, count in sorted(tally.charsets.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return {
        "info": info,
        "tally": tally,
        "rules": rules,
        "colours": audience_chart.colours,
        "severities": SEVERITIES,
        "severity_rows": severity_rows,
        "severity_totals": severity_totals,
        "flagged": main.flagged,
        "flagged_share": _share(main.flagged, tally.linted),
        "compose_rows": compose_rows,
        "reply_all": compose_rows[2],
        "audience_chart": audience_chart,
        "audience_rows": audience_rows,
        "month_chart": month_chart,
        "month_rows": month_rows,
        "compare": other is not None,
        "compare_rows": compare_rows,
        "compare_flagged": other.flagged if other else 0,
        "compare_flagged_share": _share(other.flagged, tally.linted) if other else "",
        "author_rows": author_rows,
        "authors_total": len(tally.authors),
        "problem_rows": problem_rows,
        "problems_total": sum(tally.problems.values()),
        "skipped": sorted(tally.skipped.items(), key=lambda kv: -kv[1]),
        "charset_rows": charset_rows,
        "excerpts": {rule: tally.excerpts[rule] for rule in sorted(tally.excerpts)},
    }


def _severities(side, rule: str) -> str:
    found = [s for s in SEVERITIES if side.findings.get((rule, s))]
    return ", ".join(found) if found else "off or silent"


_environment: Environment | None = None


def environment() -> Environment:
    global _environment
    if _environment is None:
        _environment = Environment(
            loader=PackageLoader("server", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
    return _environment


def render_report(tally: Tally, info: dict) -> str:
    """The standalone HTML report."""
    template = environment().get_template("backtest/report.html")
    return template.render(**report_context(tally, info))
