"""Each sample e-mail is cut into the greeting, body, sign-off, signature and quote we expect."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from linters.model import Address, Body, BodyType
from linters.text import segment

SAMPLES = Path(__file__).parent / "samples"
CASES = yaml.safe_load((SAMPLES / "cases.yaml").read_text(encoding="utf-8"))
FIELDS = ("greeting", "body", "signoff", "signature")


def sample_body(name: str) -> Body:
    body_type = BodyType.HTML if name.endswith(".html") else BodyType.TEXT
    return Body((SAMPLES / name).read_text(encoding="utf-8"), body_type)


def squash(text: str | None) -> str | None:
    return None if text is None else "".join(text.split())


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample(name: str) -> None:
    expected = CASES[name]
    author = Address(**expected["author"]) if "author" in expected else None
    result = segment(sample_body(name), author=author)
    got = result.as_dict()
    for field in FIELDS:
        if field in expected:
            assert squash(got[field]) == squash(expected[field]), field
    if "quote_starts" in expected:
        quote = result.quote_text  # quoted blocks, then a thread the HTML marked, in order
        if expected["quote_starts"] is None:
            assert not quote
        else:
            assert quote, "no quote found"
            assert squash(quote).startswith(squash(expected["quote_starts"]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_blocks_are_ordered_disjoint_and_trimmed(name: str) -> None:
    result = segment(sample_body(name))
    end = 0
    for block in result.blocks:
        assert end <= block.start < block.end <= len(result.text)
        claimed = result.text[block.start : block.end]
        assert claimed == claimed.strip(), "a block starts or ends with whitespace"
        end = block.end
