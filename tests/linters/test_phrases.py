import pytest

from linters.model import Address
from linters.phrases import PhraseMatcher, load_lexicon, name_tokens, tokenise

MATCHER = PhraseMatcher(load_lexicon("content-free-reply-all"))


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
    assert MATCHER.match("OK with me, Peter") is None
    assert MATCHER.match("OK with me, Peter", lambda: names).kinds == {"agreement"}


def test_too_long_is_never_content_free():
    assert MATCHER.match("thanks " * 100) is None


def test_tokenise_keeps_offsets():
    text = "Thanks, Anna :-) 👍"
    for token in tokenise(text):
        assert text[token.start : token.end].casefold().replace("’", "'") in (
            token.text,
            token.text,
        )
