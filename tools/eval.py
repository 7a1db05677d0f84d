"""`make eval`: accuracy of every rule on the labelled corpora, and of reply isolation.

Each corpus line names the rules that must fire (`expect`) and must not (`expect_not`); a rule is
scored only on the lines that name it. Prints precision and recall per rule and set (and per
language where a set says it), then the exact-match score of reply isolation on
../shared/fixtures/reply-isolation/ (or, without it, the same fixtures vendored in
tests/vendor/reply-isolation/).

Only this command reads ../shared/, and it does not need it: when the folder (or a part of it) is
absent it says what it could not score and reports on our own sets.

Every figure here is a development figure: ../shared/corpus/ and our own
tests/linters/samples/independent-replies.jsonl are sets we measure on while building the rules,
never sets the rules are judged on.

    python -m tools.eval [--shared DIR] [--errors]   # --errors lists each miss by case id
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from linters import lint

from .isolation import DEFAULT_ROOT as VENDORED_FIXTURES
from .isolation import score_fixtures

DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared"
# Replies written for this project by someone who never saw the rules' vocabulary: text, subject
# and the quoted message, wrapped here as a reply-all to a group.
# A second set of the same shape, written later by another hand and kept for measuring only:
# nobody reads its misses while changing the rules.
HELD_OUT = Path(__file__).resolve().parent / "heldout" / "replies-b.jsonl"
INDEPENDENT = (
    Path(__file__).resolve().parents[1] / "tests/linters/samples/independent-replies.jsonl"
)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def independent_cases(path: Path):
    """`independent-replies.jsonl` lines as corpus cases: a reply-all to twelve people."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            case = json.loads(line)
            quoted = "\n".join("> " + line for line in case["quote"].splitlines())
            yield {
                "id": case["id"],
                "lang": case["lang"],
                "expect": [case["rule"]] if case["label"] else [],
                "expect_not": [] if case["label"] else [case["rule"]],
                "draft": {
                    "compose_type": "reply_all",
                    "subject": case["subject"],
                    "from": {"email": "author@corp.example"},
                    "to": [{"email": "sam.boss@corp.example", "name": "Sam Boss"}],
                    "cc": [{"email": "team@corp.example", "type": "group", "member_count": 12}],
                    "body": {
                        "type": "text",
                        "content": f"{case['text']}\n\nOn Mon, 3 Mar 2025 at 09:12, Sam Boss "
                        f"<sam.boss@corp.example> wrote:\n{quoted}\n",
                    },
                    "in_reply_to": {"from": {"email": "sam.boss@corp.example"}},
                },
            }


def corpus_cases(path: Path):
    with path.open(encoding="utf-8") as lines:
        yield from (json.loads(line) for line in lines)


def score_cases(cases) -> dict[tuple[str, str], Score]:
    """Scores by (rule, language); language "" is the whole set."""
    scores: dict[tuple[str, str], Score] = defaultdict(Score)
    for case in cases:
        fired = {f.rule for f in lint(case["draft"]).findings}
        groups = ("", case["lang"]) if case.get("lang") else ("",)
        for rule in case["expect"]:
            for group in groups:
                score = scores[rule, group]
                if rule in fired:
                    score.tp += 1
                else:
                    score.fn += 1
                    score.misses.append(f"missed  {case['id']}")
        for rule in case["expect_not"]:
            for group in groups:
                score = scores[rule, group]
                if rule in fired:
                    score.fp += 1
                    score.misses.append(f"false + {case['id']}")
                else:
                    score.tn += 1
    return dict(sorted(scores.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.eval", description=__doc__)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--errors", action="store_true", help="list every miss by case id")
    args = parser.parse_args(argv)

    corpus = args.shared / "corpus"
    sets = [(p.stem, corpus_cases(p)) for p in sorted(corpus.glob("*.jsonl"))]
    if not sets:
        missing = corpus if args.shared.is_dir() else args.shared
        print(f"not scored: the shared labelled corpus ({missing} does not exist or is empty).")
        print("  It stands beside the clone as ../shared/, or give --shared DIR.")
        print("  Scoring our own sets only.\n")
    sets.append(("own-replies-a", independent_cases(INDEPENDENT)))
    sets.append(("own-replies-b", independent_cases(HELD_OUT)))
    for name in ("c", "d"):  # C is two files: content-free, and vague/check-in
        cases = (
            c
            for p in sorted(HELD_OUT.parent.glob(f"replies-{name}*.jsonl"))
            for c in independent_cases(p)
        )
        sets.append((f"own-replies-{name}", cases))
    print(f"{'set':<22} {'rule':<26} {'lang':<4} {'prec':>6} {'recall':>6}   tp  fp  fn   tn")
    for name, cases in sets:
        for (rule, lang), s in score_cases(cases).items():
            print(
                f"{name:<22} {rule:<26} {lang or 'all':<4} {s.precision:>6.3f} {s.recall:>6.3f}"
                f" {s.tp:>4} {s.fp:>3} {s.fn:>3} {s.tn:>4}"
            )
            if args.errors and not lang:
                for miss in s.misses:
                    print(f"    {miss}")

    fixtures_dir = args.shared / "fixtures" / "reply-isolation"
    if not (fixtures_dir / "cases.jsonl").is_file():
        print(f"\nno reply-isolation fixtures at {fixtures_dir}: using the vendored copy")
        fixtures_dir = VENDORED_FIXTURES
    fixtures = score_fixtures(fixtures_dir)
    print(
        f"\nreply isolation ({fixtures_dir}): {fixtures['passed']}/{fixtures['total']} exact",
        end="",
    )
    print(f" ({100 * fixtures['passed'] / fixtures['total']:.1f} %)")
    for source, counts in fixtures["sources"].items():
        print(f"    {source:<28} {counts['passed']}/{counts['total']}")
    if args.errors:
        for case in (c for c in fixtures["cases"] if not c["passed"]):
            print(f"    failed {case['id']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
