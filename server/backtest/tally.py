"""What a backtest found, as counts: the aggregate the report is drawn from.

A Tally holds numbers, rule ids, months, audience buckets, charset names, positions in the
sources and pseudonyms; no subject, body or address (unless the run was asked for `--names`),
and excerpts only when it was asked for `--excerpts`. Workers each fill one per chunk of mail and
the runner adds them up, so it stays small whatever the mailbox size: every list in it is capped.
It turns into JSON and back, for the admin console to keep a run and draw it again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields

AUDIENCE_BUCKETS = (
    (0, "0"),
    (1, "1"),
    (2, "2–4"),
    (5, "5–9"),
    (10, "10–24"),
    (25, "25–49"),
    (50, "50–99"),
    (100, "100+"),
)
UNKNOWN_MONTH = "undated"
MAX_POSITIONS = 50  # named per kind of problem; the rest are counted
MAX_EXCERPTS = 5  # per rule, with --excerpts
MAX_EXCERPT_CHARS = 200
MAX_AUTHORS = 10_000  # distinct authors counted one by one; later ones count as "others"
MAX_CHARSETS = 40
OTHER = "others"


def audience_bucket(audience: int) -> str:
    label = AUDIENCE_BUCKETS[0][1]
    for low, name in AUDIENCE_BUCKETS:
        if audience >= low:
            label = name
    return label


@dataclass
class Side:
    """What one policy found."""

    findings: Counter = field(default_factory=Counter)  # (rule, severity) -> findings
    rule_messages: Counter = field(default_factory=Counter)  # rule -> messages it flagged
    compose_flagged: Counter = field(default_factory=Counter)  # compose type -> flagged messages
    flagged: int = 0

    def add(self, compose_type: str, found: list[tuple[str, str]]) -> None:
        if not found:
            return
        self.flagged += 1
        self.compose_flagged[compose_type] += 1
        self.findings.update(found)
        self.rule_messages.update({rule for rule, _ in found})

    def merge(self, other: Side) -> None:
        self.findings.update(other.findings)
        self.rule_messages.update(other.rule_messages)
        self.compose_flagged.update(other.compose_flagged)
        self.flagged += other.flagged

    def to_dict(self) -> dict:
        findings: dict[str, dict[str, int]] = {}
        for (rule, severity), count in sorted(self.findings.items()):
            findings.setdefault(rule, {})[severity] = count
        return {
            "findings": findings,
            "rule_messages": dict(sorted(self.rule_messages.items())),
            "compose_flagged": dict(sorted(self.compose_flagged.items())),
            "flagged": self.flagged,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Side:
        return cls(
            findings=Counter(
                {(r, s): n for r, per in data["findings"].items() for s, n in per.items()}
            ),
            rule_messages=Counter(data["rule_messages"]),
            compose_flagged=Counter(data["compose_flagged"]),
            flagged=data["flagged"],
        )


_PAIRS = ("audience_rule", "month_rule")  # counters keyed by (bucket or month, rule)


@dataclass
class Tally:
    read: int = 0  # e-mail messages read from the sources
    linted: int = 0  # of these, the ones linted (after --from-domain, --since and --sample)
    skipped: Counter = field(default_factory=Counter)  # why a message read was not linted
    problems: Counter = field(default_factory=Counter)  # Problem kind -> items
    problem_positions: dict = field(default_factory=dict)  # kind -> ["position: detail", ...]
    compose: Counter = field(default_factory=Counter)  # compose type -> messages linted
    main: Side = field(default_factory=Side)
    compare: Side | None = None
    audience: Counter = field(default_factory=Counter)  # bucket -> messages
    audience_flagged: Counter = field(default_factory=Counter)
    audience_rule: Counter = field(default_factory=Counter)  # (bucket, rule) -> findings
    month: Counter = field(default_factory=Counter)  # "2024-05" -> messages
    month_flagged: Counter = field(default_factory=Counter)
    month_rule: Counter = field(default_factory=Counter)  # (month, rule) -> findings
    authors: Counter = field(default_factory=Counter)  # pseudonym (or address) -> messages
    authors_flagged: Counter = field(default_factory=Counter)
    charsets: Counter = field(default_factory=Counter)  # declared charset -> messages
    unknown_charsets: Counter = field(default_factory=Counter)  # of those, unknown to Python
    excerpts: dict = field(default_factory=dict)  # rule -> [{position, author, ...}], capped

    # --- filling -------------------------------------------------------------------------

    def add_problem(self, kind: str, position: str, detail: str = "") -> None:
        self.problems[kind] += 1
        named = self.problem_positions.setdefault(kind, [])
        if len(named) < MAX_POSITIONS:
            named.append(f"{position}: {detail}" if detail else position)

    def add_charsets(self, declared: set[str], unknown: set[str]) -> None:
        for name, counter in ((declared, self.charsets), (unknown, self.unknown_charsets)):
            for charset in name:
                key = charset if charset in counter or len(counter) < MAX_CHARSETS else OTHER
                counter[key] += 1

    def add_message(
        self,
        *,
        compose_type: str,
        audience: int,
        month: str,
        author: str,
        found: list[tuple[str, str]],
        compared: list[tuple[str, str]] | None,
    ) -> None:
        """One linted message: its findings as (rule, severity) under the policy, and under the
        policy it is compared with."""
        self.linted += 1
        self.compose[compose_type] += 1
        bucket = audience_bucket(audience)
        self.audience[bucket] += 1
        self.month[month] += 1
        if author not in self.authors and len(self.authors) >= MAX_AUTHORS:
            author = OTHER
        self.authors[author] += 1
        self.main.add(compose_type, found)
        if compared is not None:
            if self.compare is None:
                self.compare = Side()
            self.compare.add(compose_type, compared)
        if found:
            self.audience_flagged[bucket] += 1
            self.month_flagged[month] += 1
            self.authors_flagged[author] += 1
            for rule, _ in found:
                self.audience_rule[bucket, rule] += 1
                self.month_rule[month, rule] += 1

    def add_excerpt(self, rule: str, example: dict) -> None:
        kept = self.excerpts.setdefault(rule, [])
        if len(kept) < MAX_EXCERPTS:
            kept.append(example)

    def wants_excerpt(self, rule: str) -> bool:
        return len(self.excerpts.get(rule, ())) < MAX_EXCERPTS

    # --- adding up ---------------------------------------------------------------------

    def merge(self, other: Tally) -> None:
        self.read += other.read
        self.linted += other.linted
        for name in (
            "skipped",
            "problems",
            "compose",
            "audience",
            "audience_flagged",
            "audience_rule",
            "month",
            "month_flagged",
            "month_rule",
        ):
            getattr(self, name).update(getattr(other, name))
        for kind, named in other.problem_positions.items():
            mine = self.problem_positions.setdefault(kind, [])
            mine.extend(named[: MAX_POSITIONS - len(mine)])
        for author, count in other.authors.items():
            key = author if author in self.authors or len(self.authors) < MAX_AUTHORS else OTHER
            self.authors[key] += count
            if other.authors_flagged.get(author):
                self.authors_flagged[key] += other.authors_flagged[author]
        for declared, counter in (
            (other.charsets, self.charsets),
            (other.unknown_charsets, self.unknown_charsets),
        ):
            for name, count in declared.items():
                key = name if name in counter or len(counter) < MAX_CHARSETS else OTHER
                counter[key] += count
        self.main.merge(other.main)
        if other.compare is not None:
            if self.compare is None:
                self.compare = Side()
            self.compare.merge(other.compare)
        for rule, examples in other.excerpts.items():
            for example in examples:
                self.add_excerpt(rule, example)

    # --- JSON ----------------------------------------------------------------------------

    def to_dict(self) -> dict:
        out: dict = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name in _PAIRS:
                nested: dict[str, dict[str, int]] = {}
                for (key, rule), count in sorted(value.items()):
                    nested.setdefault(key, {})[rule] = count
                out[item.name] = nested
            elif isinstance(value, Side):
                out[item.name] = value.to_dict()
            elif isinstance(value, Counter):
                out[item.name] = dict(sorted(value.items()))
            else:
                out[item.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Tally:
        tally = cls()
        for item in fields(cls):
            value = data.get(item.name)
            if value is None:
                continue
            if item.name in _PAIRS:
                value = Counter({(k, r): n for k, per in value.items() for r, n in per.items()})
            elif item.name in ("main", "compare"):
                value = Side.from_dict(value)
            elif isinstance(getattr(tally, item.name), Counter):
                value = Counter(value)
            setattr(tally, item.name, value)
        return tally
