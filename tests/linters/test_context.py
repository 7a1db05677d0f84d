from hypothesis import given, settings
from hypothesis import strategies as st

from linters.context import LintContext
from linters.model import RecipientType
from linters.schema import load_draft


def ctx(**fields):
    return LintContext(load_draft(fields))


def test_audience_counts_distinct_people_without_the_author():
    c = ctx(
        **{"from": {"email": "Me@corp.example"}},
        to=[{"email": "a@corp.example"}, {"email": "me@corp.example"}],
        cc=[
            {"email": "A@corp.example"},
            {"email": "g@corp.example", "type": "group", "member_count": 40},
        ],
        bcc=[{"email": "b@corp.example"}],
    )
    assert c.audience == 1 + 40 + 1


def test_unknown_group_size_is_used():
    c = LintContext(load_draft({"to": [{"email": "g@x", "type": "group"}]}), unknown_group_size=7)
    assert c.audience == 7


def test_outlook_reply_to_more_than_the_sender_is_a_reply_all():
    original = {"from": {"email": "boss@corp.example"}}
    assert (
        ctx(
            compose_type="reply", to=[{"email": "boss@corp.example"}], in_reply_to=original
        ).is_reply_all
        is False
    )
    assert ctx(
        compose_type="reply",
        to=[{"email": "boss@corp.example"}],
        cc=[{"email": "x@corp.example"}],
        in_reply_to=original,
    ).is_reply_all


def test_reply_all_narrowed_to_the_sender_is_not_a_reply_all():
    c = ctx(
        compose_type="reply_all",
        to=[{"email": "boss@corp.example"}],
        in_reply_to={"from": {"email": "boss@corp.example"}},
    )
    assert not c.is_reply_all


def test_reply_to_a_group_sender_reaches_its_members():
    c = ctx(compose_type="reply", to=[{"email": "list@x", "type": "group", "member_count": 50}])
    assert c.is_reply_all


def test_new_and_forward_are_not_replies():
    assert not ctx(compose_type="new", to=[{"email": "a@x"}, {"email": "b@x"}]).is_reply_all
    assert not ctx(compose_type="forward", to=[{"email": "a@x"}, {"email": "b@x"}]).is_reply_all


def test_reply_to_sender_only_fix_carries_exact_recipients():
    c = ctx(
        compose_type="reply_all",
        to=[{"email": "x@corp.example"}],
        in_reply_to={"from": {"email": "boss@corp.example", "name": "Anna Boss"}},
    )
    fix = c.reply_to_sender_only()
    assert fix.title == "Reply to Anna Boss only"
    assert fix.set == {
        "to": [{"email": "boss@corp.example", "name": "Anna Boss"}],
        "cc": [],
        "bcc": [],
    }


def test_fifty_thousand_recipients():
    c = ctx(to=[{"email": f"p{i}@corp.example"} for i in range(50_000)])
    assert c.audience == 50_000


def test_names_are_the_people_on_the_thread():
    c = ctx(
        **{"from": {"email": "peter.smith@corp.example"}},
        to=[{"email": "anna@corp.example", "name": "Anna Boss"}],
        in_reply_to={
            "from": {"email": "claire@corp.example"},
            "cc": [{"email": "tom.baker@corp.example"}],
            "bcc": [{"email": "hidden@corp.example"}],
        },
    )
    assert {"peter", "smith", "anna", "boss", "claire", "tom", "baker"} <= c.names
    assert "hidden" not in c.names  # the original's Bcc is nobody the text would name


def test_names_read_at_most_max_named_of_each_list():
    from linters.context import MAX_NAMED

    c = ctx(to=[{"email": f"person{i}@corp.example", "name": f"Zed{i}"} for i in range(300)])
    assert f"zed{MAX_NAMED - 1}" in c.names
    assert f"zed{MAX_NAMED}" not in c.names


# --- the audience, worked out with C-level passes, is what a loop over the recipients gives ---

_EMAILS = ["a@x", "A@x", " a@x ", "b@x", "me@x", "ME@x", "g@x", "h@x"]
_RECIPIENTS = st.lists(
    st.fixed_dictionaries(
        {"email": st.sampled_from(_EMAILS)},
        optional={
            "type": st.sampled_from(["user", "group", "external"]),
            "member_count": st.integers(0, 500),
            "name": st.sampled_from(["Ann", "G"]),
        },
    ),
    max_size=12,
)


def reference_audience(c: LintContext):
    """The audience as `LintContext` worked it out before: one loop, one call per recipient."""
    seen = {c.author_key}
    distinct = []
    for recipient in c.draft.recipients:
        if recipient.key not in seen:
            seen.add(recipient.key)
            distinct.append(recipient)
    groups = [r for r in distinct if r.type is RecipientType.GROUP]
    return tuple(distinct), groups, sum(c.size_of(r) for r in distinct)


@settings(max_examples=300, deadline=None)
@given(
    _RECIPIENTS,
    _RECIPIENTS,
    _RECIPIENTS,
    st.sampled_from([None, "me@x", "A@x"]),
    st.integers(1, 20),
)
def test_audience_gives_what_the_loop_gave(to, cc, bcc, sender, unknown):
    fields = {"to": to, "cc": cc, "bcc": bcc}
    if sender:
        fields["from"] = {"email": sender}
    c = LintContext(load_draft(fields), unknown_group_size=unknown)
    distinct, groups, audience = reference_audience(c)
    assert c.audience_recipients == distinct
    assert [id(r) for r in c.audience_recipients] == [id(r) for r in distinct]  # first ones kept
    assert list(c.audience_groups) == groups
    assert c.audience == audience
