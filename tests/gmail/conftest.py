"""Checks shared by the Gmail tests: parse cards into Google's Card protobuf, check the limits.

Served as fixtures: with `--import-mode=importlib` tests/ is not on sys.path, so test modules
cannot import a helper module beside them.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from google.apps.card_v1.types import Card

from server.gmail.cards import MAX_SECTIONS, MAX_WIDGETS

NAVIGATIONS = {"pushCard", "updateCard"}


def parse_card(card: dict) -> Card:
    """`card` as Google's Card message; unknown fields fail, so a misspelt key cannot pass."""
    return Card.from_json(json.dumps(card), ignore_unknown_fields=False)


def texts(value: object) -> list[str]:
    """Every string in a card, keys excepted."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in texts(item)]
    return [value] if isinstance(value, str) else []


def check_card(card: dict) -> Card:
    """Parse `card` and check it against the documented limits (100 widgets per card, 100
    sections per card) and ours (no empty section, no text past the caps in cards.py)."""
    parsed = parse_card(card)
    assert len(parsed.sections) <= MAX_SECTIONS
    widgets = sum(len(section.widgets) for section in parsed.sections)
    assert widgets <= MAX_WIDGETS, widgets
    assert all(section.widgets for section in parsed.sections)
    assert parsed.header.title
    for text in texts(card):
        assert len(text) <= 2100, text[:80]
    return parsed


def card_of(response: dict, *, wrapped: bool, navigation: str = "pushCard") -> dict:
    """The card inside a response envelope, after checking the envelope's shape.

    A trigger answers `{"action": {"navigations": [...]}}`; a widget's action answers the same
    inside `{"renderActions": ...}`.
    """
    assert navigation in NAVIGATIONS
    if wrapped:
        assert set(response) == {"renderActions"}
        response = response["renderActions"]
    assert set(response) == {"action"}
    assert set(response["action"]) == {"navigations"}
    [step] = response["action"]["navigations"]
    assert set(step) == {navigation}
    return step[navigation]


@pytest.fixture
def cards_check() -> SimpleNamespace:
    return SimpleNamespace(
        parse_card=parse_card, check_card=check_card, card_of=card_of, texts=texts
    )
