"""The clause analysis shared by the text rules: how a body is cut and what each clause does."""

import pytest

from linters.clauses import MAX_CHARS, Role, Thread, analyse


def roles(text, thread=None, **options):
    analysis = analyse(text, thread or Thread(text=str, names=frozenset), **options)
    return [(c.role.value, c.kind) for c in analysis.clauses]


def thread(quote, *names):
    return Thread(text=lambda: quote.casefold(), names=lambda: frozenset(names))


def test_clauses_end_at_sentences_commas_dashes_and_lines_but_not_inside_numbers():
    analysis = analyse("Thanks, Raj — great work.\nSee 1.6 and 1,000 units")
    texts = [c.as_dict(analysis.text)["text"] for c in analysis.clauses]
    assert texts == ["Thanks", "Raj", "great work", "See 1.6 and 1,000 units"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks for sorting the rota so quickly!", [("stance", "thanks")]),
        ("Congrats on the new role 🎉", [("stance", "social")]),
        ("Couldn't agree more.", [("stance", "agreement")]),
        ("👍", [("stance", "emoji")]),
        ("We will have it by then.", [("content", "")]),
        ("OK, but he must do it now.", [("stance", "ack"), ("content", "contrast")]),
        ("Not sure I follow.", [("confusion", "confusion")]),
        ("Any update?", [("chase", "chase")]),
        ("???", [("confusion", "puzzled")]),
    ],
)
def test_each_clause_gets_a_role(text, expected):
    assert roles(text) == expected


def test_words_of_the_thread_are_not_new():
    said = "+1 for option 3"
    assert roles(said) == [("content", "number")]
    assert roles(said, thread("Shall we go with option 3 or option 4?")) == [("stance", "pile-on")]


def test_numbers_and_days_are_new_unless_the_thread_has_them():
    assert roles("Friday works for me") == [("content", "time")]
    assert roles("Friday works for me", thread("Can you all make Friday?"))[0][0] == "stance"
    assert roles("2pm works for me")[0] == ("content", "number")
    assert roles("2pm works for me", thread("Shall we meet at 2pm?"))[0][0] == "stance"
    assert roles("2 works for me", thread("We have 25 seats."))[0] == ("content", "number")


def test_a_question_or_a_link_is_content():
    assert roles("Great, which room?")[1] == ("content", "question")
    assert roles("Thanks! https://example.org/x")[1] == ("content", "link")


def test_a_name_under_the_text_signs_it():
    assert roles("Brilliant result, well done all!\n\nKev – Store 12 Wigan")[-1] == ("neutral", "")
    assert roles("Thanks!\n\nFriday 5pm")[-1][0] == "content"


def test_a_name_between_commas_keeps_a_head_with_its_complement():
    said = roles("Thanks, Sabine, for the quick summary")
    assert said == [("stance", "thanks"), ("neutral", ""), ("stance", "thanks")]
    # No name in between: the second clause says something of its own.
    assert roles("Thanks, for the record the stall made money.")[1][0] == "content"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Vielen Dank, sieht gut aus!", "de"),
        ("Merci, ça me va.", "fr"),
        ("Gracias, me parece bien.", "es"),
        ("Obrigado, parece-me bem.", "pt"),
        ("Grazie, per me va bene.", "it"),
        ("Bedankt, lijkt me goed.", "nl"),
        ("Thanks, looks good.", "en"),
    ],
)
def test_the_language_is_the_one_whose_words_the_text_uses(text, language):
    analysis = analyse(text)
    assert analysis.language == language
    assert analysis.only(Role.STANCE)


def test_a_long_text_is_never_only_stance():
    analysis = analyse("Thanks so much! " * (MAX_CHARS // 10))
    assert not analysis.complete and not analysis.only(Role.STANCE)


def test_allowance_sets_how_many_unexplained_words_a_stance_clause_may_hold():
    text = "Noted, roger dodger."
    assert analyse(text, allowance=1).only(Role.STANCE)
    assert not analyse(text, allowance=0).only(Role.STANCE)


def test_a_finding_s_reasons_are_words_for_people():
    (clause,) = analyse("Thanks, but no.").clauses[1:]
    assert clause.as_dict("Thanks, but no.") == {
        "text": "but no",
        "role": "content",
        "kind": "contrast",
        "why": 'a contrast word: "but"',
    }


@pytest.mark.parametrize(
    ("text", "stance"),
    [
        ("You smashed it!", True),
        ("Get in!!!", True),
        ("That was quick!", True),
        ("Server is down!", False),  # two things named: a fact
        ("Who is in?", False),  # a question is no exclamation
    ],
)
def test_a_short_exclamation_naming_at_most_one_thing_is_a_reaction(text, stance):
    assert analyse(text).only(Role.STANCE) is stance
