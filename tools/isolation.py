"""Score reply isolation against the public reply-isolation fixtures.

The fixtures are vendored in `tests/vendor/reply-isolation/` (a copy of
`../shared/fixtures/reply-isolation/`; the README.md beside them names their sources and licences),
so this runs in any checkout; another folder of the same layout can be given instead.

Each case names its source; sources disagree on signatures, so each is scored under its own
documented policy: talon and quotequail keep signatures (compare everything that is not quote),
github and zapier drop them (compare `new_text`). Comparison ignores all whitespace.

    .venv/bin/python -m tools.isolation [fixtures-root]
"""

from __future__ import annotations

import email
import json
import sys
from email import policy
from pathlib import Path

from linters.model import Body, BodyType
from linters.text import Kind, Segmentation, segment

DEFAULT_ROOT = Path(__file__).resolve().parents[1] / "tests" / "vendor" / "reply-isolation"
# Sources whose expected text keeps the signature ("Sent from my iPhone", "-- " blocks).
KEEPS_SIGNATURE = frozenset({"talon", "quotequail"})


def load_body(path: Path, input_type: str) -> Body:
    if input_type == "eml":
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        part = next((p for p in message.walk() if p.get_content_type() == "text/plain"), None)
        return Body(part.get_content() if part is not None else "", BodyType.TEXT)
    content = path.read_text(encoding="utf-8", errors="replace")
    return Body(content, BodyType.HTML if input_type == "html" else BodyType.TEXT)


def isolated(seg: Segmentation, source: str) -> str:
    if source in KEEPS_SIGNATURE:
        return seg.joined(Kind.GREETING, Kind.BODY, Kind.SIGNOFF, Kind.SIGNATURE)
    return seg.new_text


def _squash(text: str) -> str:
    return "".join(text.split())


def score_fixtures(root: Path = DEFAULT_ROOT) -> dict:
    """Per-case pass/fail, per-source counts and the total."""
    cases = []
    per_source: dict[str, dict[str, int]] = {}
    for line in (root / "cases.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        source = case["id"].split("/", 1)[0]
        seg = segment(load_body(root / case["input"], case["input_type"]))
        got = isolated(seg, source)
        passed = _squash(got) == _squash(case["expected_new_text"])
        cases.append(
            {
                "id": case["id"],
                "source": source,
                "passed": passed,
                "got": got,
                "expected": case["expected_new_text"],
            }
        )
        counts = per_source.setdefault(source, {"passed": 0, "total": 0})
        counts["total"] += 1
        counts["passed"] += passed
    passed_total = sum(c["passed"] for c in cases)
    return {
        "cases": cases,
        "sources": per_source,
        "passed": passed_total,
        "total": len(cases),
        "accuracy": passed_total / len(cases) if cases else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else DEFAULT_ROOT
    if not (root / "cases.jsonl").is_file():
        print(f"no reply-isolation fixtures at {root} (expected {root / 'cases.jsonl'})")
        return 2
    result = score_fixtures(root)
    for case in result["cases"]:
        if not case["passed"]:
            print(
                f"FAIL {case['id']}\n  expected: {case['expected']!r}\n  got:      {case['got']!r}"
            )
    print(f"\n{'source':<12} {'passed':>6} {'total':>6}")
    for source, counts in sorted(result["sources"].items()):
        print(f"{source:<12} {counts['passed']:>6} {counts['total']:>6}")
    print(f"{'all':<12} {result['passed']:>6} {result['total']:>6}  ({result['accuracy']:.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
