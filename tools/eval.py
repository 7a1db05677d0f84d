"""`make eval`: accuracy of every rule on the labelled corpus, and of reply isolation.

Each corpus line names the rules that must fire (`expect`) and must not (`expect_not`); a rule is
scored only on the lines that name it. Prints precision and recall per rule and set, then the
exact-match score of reply isolation on ../shared/fixtures/reply-isolation/.

    python -m tools.eval [--shared DIR] [--errors]   # --errors lists each miss by case id
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from linters import lint

from .isolation import score_fixtures

DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared"


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


def score_corpus(path: Path) -> dict[str, Score]:
    scores: dict[str, Score] = defaultdict(Score)
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            case = json.loads(line)
            fired = {f.rule for f in lint(case["draft"]).findings}
            for rule in case["expect"]:
                score = scores[rule]
                if rule in fired:
                    score.tp += 1
                else:
                    score.fn += 1
                    score.misses.append(f"missed  {case['id']}")
            for rule in case["expect_not"]:
                score = scores[rule]
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

    print(f"{'set':<22} {'rule':<26} {'prec':>6} {'recall':>6}   tp  fp  fn   tn")
    for path in sorted((args.shared / "corpus").glob("*.jsonl")):
        for rule, s in score_corpus(path).items():
            print(
                f"{path.stem:<22} {rule:<26} {s.precision:>6.3f} {s.recall:>6.3f}"
                f" {s.tp:>4} {s.fp:>3} {s.fn:>3} {s.tn:>4}"
            )
            if args.errors:
                for miss in s.misses:
                    print(f"    {miss}")

    fixtures = score_fixtures(args.shared / "fixtures" / "reply-isolation")
    print(f"\nreply isolation: {fixtures['passed']}/{fixtures['total']} exact", end="")
    print(f" ({100 * fixtures['passed'] / fixtures['total']:.1f} %)")
    for source, counts in fixtures["sources"].items():
        print(f"    {source:<28} {counts['passed']}/{counts['total']}")
    if args.errors:
        for case in (c for c in fixtures["cases"] if not c["passed"]):
            print(f"    failed {case['id']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
