"""The clause vocabulary: data that loads in every language, generated parts kept up to date."""

import subprocess
import sys
from pathlib import Path

import pytest

from linters.clauses import Part, vocabularies, vocabulary_entries
from linters.phrases import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]


def test_generated_vocabulary_matches_its_sources():
    """`python -m tools.vocabulary all` was run after the last change to the vocabulary."""
    check = [sys.executable, "-m", "tools.vocabulary", "check"]
    result = subprocess.run(check, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_role(language):
    parts = {reading.part for _, reading in vocabulary_entries(language)}
    assert parts == set(Part)


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("en", "looked good"),  # written "look good"
        ("de", "sah gut aus"),  # written "sehen gut aus"
        ("fr", "me semble correct"),  # written "me sembler correct"
    ],
)
def test_an_entry_matches_its_inflected_forms(language, written):
    keys = written.split()
    assert vocabularies()[language].longest_match(keys, 0)[0] == len(keys)


def test_function_words_inside_a_phrase_keep_their_spelling():
    vocab = vocabularies()["en"]
    assert vocab.longest_match(["sounds", "like", "a", "plan"], 0)[0] == 4
    found = vocab.longest_match(["sounds", "liked", "a", "plan"], 0)
    assert found is None or found[0] < 4
