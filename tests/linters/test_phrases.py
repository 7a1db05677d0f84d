import pytest

from linters.model import Address
from linters.phrases import (
    PhraseMatcher,
    extra_phrases,
    matcher_for,
    name_tokens,
    tokenise,
)

# A small lexicon of the shape rules keep in linters/data/<rule>/<lang>.yaml.
LEXICON = {
    "ack": ["ok", "noted", "got it"],
    "thanks": [
        "thanks",
        "merci",
        "merci à",
        "vielen dank",
        "muchas gracias",
        "obrigado",
        "grazie",
        "bedankt",
    ],
    "agreement": ["ok with me", "agree", "i agree with", "akkoord voor mij"],
    "pile-on": ["+1", "+100", "me too"],
    "social": ["congrats"],
    "filler": ["all", "everyone", "à tous", "an alle", "a todos", "a tutti", "allemaal"],
    "names-follow": ["agree with", "merci à"],
}
MATCHER = PhraseMatcher(LEXICON)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("OK with me", {"agreement"}),
        ("Thanks all!", {"thanks"}),
        ("+1", {"pile-on"}),
        ("Me too.", {"pile-on"}),
        ("Congrats everyone!! 🎉", {"social"}),
        ("👍", {"emoji"}),
        (":-)", {"emoji"}),
        ("Noted, thanks.", {"ack", "thanks"}),
        ("Merci à tous !", {"thanks"}),
        ("Vielen Dank an alle", {"thanks"}),
        ("Muchas gracias a todos", {"thanks"}),
        ("Obrigado a todos", {"thanks"}),
        ("Grazie a tutti", {"thanks"}),
        ("Bedankt allemaal", {"thanks"}),
        ("Akkoord voor mij", {"agreement"}),
    ],
)
def test_content_free(text, kinds):
    match = MATCHER.match(text)
    assert match is not None and match.kinds == kinds


@pytest.mark.parametrize(
    "text",
    [
        "OK with me if legal signs off",
        "Thanks, which room?",
        "Agreed, but not before Friday",
        "Thanks - see https://example.org/plan",
        "+1, and the budget is 120k",
        "Not OK with me",
        "",
        "all",  # fillers alone say nothing of any kind
    ],
)
def test_content(text):
    assert MATCHER.match(text) is None


def test_names_on_the_thread_are_allowed():
    names = name_tokens(Address("peter.smith@corp.example"), Address("x@y", "Anna Boss"))
    assert {"peter", "smith", "anna", "boss"} <= names
    assert MATCHER.match("ok with me peter") is None
    assert MATCHER.match("ok with me peter", lambda: names).kinds == {"agreement"}


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("OK with me, Peter", {"agreement"}),
        ("Thanks, Harsh, got it.", {"thanks", "ack"}),
        ("I agree with Morris", {"agreement"}),
        ("Merci à Claire !", {"thanks"}),
    ],
)
def test_a_capitalised_word_the_text_addresses_is_a_name(text, kinds):
    assert MATCHER.match(text).kinds == kinds


@pytest.mark.parametrize("text", ["OK with Friday", "Thanks. Legal approves", "Agreed, SSO first"])
def test_other_capitalised_words_are_content(text):
    assert MATCHER.match(text) is None


def test_plus_n_is_a_louder_plus_one_and_minus_one_is_a_vote_against():
    assert MATCHER.match("+100").kinds == {"pile-on"}
    assert MATCHER.match("-1") is None


def test_too_long_is_never_content_free():
    assert MATCHER.match("thanks " * 100) is None


def test_question_marks_flag_of_the_phrase_matcher():
    lexicon = {"chase": ["any update", "status?"], "filler": ["on this"]}
    plain = PhraseMatcher(lexicon)
    questions = PhraseMatcher(lexicon, questions=True)
    assert plain.match("Any update?") is None  # by default "?" is content
    assert questions.match("Any update on this??").kinds == {"chase"}
    assert questions.match("¿Any update?").kinds == {"chase"}
    assert questions.match("Status?").kinds == {"chase"}
    assert questions.match("Status.") is None  # the phrase spells its mark
    assert questions.match("?") is None  # marks alone are no phrase


def test_extra_phrases_are_sorted_and_distinct():
    options = {"extra_phrases": {"fr": ["pigé", "bien reçu"], "en": ["roger that", "pigé"]}}
    assert extra_phrases(options) == ("bien reçu", "pigé", "roger that")
    assert extra_phrases({}) == ()


def test_matcher_for_joins_extras_to_a_kind_and_is_built_once():
    plain = matcher_for("bare-forward", "fyi", questions=True)
    extended = matcher_for("bare-forward", "fyi", ("over to you",), questions=True)
    assert plain.match("Over to you") is None
    assert extended.match("Over to you").kinds == {"fyi"}
    assert matcher_for("bare-forward", "fyi", ("over to you",), questions=True) is extended


def test_tokenise_keeps_offsets():
    text = "Thanks, Anna :-) 👍"
    for token in tokenise(text):
        assert text[token.start : token.end].casefold().replace("’", "'") in (
            token.text,
            token.text,
        )
