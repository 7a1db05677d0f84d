"""reply-all-storm: one more reply-all on a thread that many have already replied to all on.

A reply-all storm feeds on itself: each reply-all lands in every inbox of a large list, and some
of those readers answer to all in turn ("please remove me", "stop replying to all"). Exchange
Online's reply-all storm protection stops it after the fact: by default, 10 reply-alls to 2,500 or
more recipients within 60 minutes (a sliding window Microsoft does not let admins change) block
further reply-alls on the thread for hours; admins may lower the thresholds to 5 reply-alls and
1,000 recipients. This rule speaks earlier and more softly, before the send that would add to the
storm, and only to its author:

- `min_reply_alls` 5: Exchange's lowest setting. Five other people answering all within the hour
  is already unusual on a list of hundreds, and a warning costs the author a moment, not a send.
- `min_audience` 500: below Exchange's lowest 1,000, because the storm we want to prevent starts
  before it is large enough for Exchange to block, organisations of a few hundred have all-staff
  lists too, and a group of unknown size counts as the policy's `unknown_group_size` only; far
  above the large-audience hint's 25, so that an ordinary busy thread among a team is left alone.
- `window_minutes` 60: Exchange's window. The server reads it when it counts (see below).

The rule reads a fact, `draft.thread_activity`: how many distinct people besides the author have
replied to all on this thread within the window, and the most recipients one of them reached.
The core cannot know that; the server keeps it per organisation (server/thread_activity.py) and
fills it in. Without it (an .eml, the CLI, a server keeping no counts) the rule says nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import fields, validate

from ..context import LintContext
from ..model import Finding, Severity
from ..registry import Options, Rule, clean, trips

RULE_ID = "reply-all-storm"
MAX_WINDOW_MINUTES = 24 * 60


class ReplyAllStormOptions(Options):
    min_reply_alls = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=10_000),
        metadata={
            "description": "Fire when at least this many other people have replied to all on "
            "the thread within the window."
        },
    )
    min_audience = fields.Integer(
        strict=True,
        validate=validate.Range(min=2, max=1_000_000),
        metadata={"description": "Fire only when the reply reaches at least this many people."},
    )
    window_minutes = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=MAX_WINDOW_MINUTES),
        metadata={"description": "How far back the server counts reply-alls on a thread."},
    )


def _people(n: int) -> str:
    return "1 person has" if n == 1 else f"{n:,} people have"


def _minutes(n: int) -> str:
    if n % 60 == 0:
        hours = n // 60
        return "hour" if hours == 1 else f"{hours} hours"
    return "minute" if n == 1 else f"{n} minutes"


def _thread(repliers: int, window: int, audience: int | None = 2400) -> dict:
    """An example reply-all to an all-staff list, with the thread's activity as the server
    would fill it in."""
    draft = {
        "compose_type": "reply_all",
        "subject": "Re: Parking garage closed on Friday",
        "from": {"email": "jo@corp.example"},
        "to": [{"email": "facilities@corp.example", "name": "Facilities"}],
        "cc": [{"email": "all-staff@corp.example", "type": "group", "member_count": 2400}],
        "body": {"content": "Please take me off this list."},
        "in_reply_to": {"from": {"email": "facilities@corp.example", "name": "Facilities"}},
        "thread_id": "AAQkADAwATM0MDAAMS1iNjQ5LTU0ZWUtMDACLTAwCgAQAHn0",
    }
    if audience is not None:
        draft["thread_activity"] = {
            "repliers": repliers,
            "audience": audience,
            "window_minutes": window,
        }
    return draft


class ReplyAllStorm(Rule):
    id = RULE_ID
    summary = "Many people have already replied to all on this thread within the last hour."
    default_severity = Severity.WARNING
    options = ReplyAllStormOptions
    defaults = {"min_reply_alls": 5, "min_audience": 500, "window_minutes": 60}
    docs = "docs/rules/reply-all-storm.md"

    def check(self, ctx: LintContext, options: Mapping):
        activity = ctx.draft.thread_activity
        if activity is None or activity.repliers < options["min_reply_alls"]:
            return
        if not ctx.is_reply_all or ctx.audience < options["min_audience"]:
            return
        # Their audience when the server knows it, else this reply's: the same list, mostly.
        audience = activity.audience or ctx.audience
        window = _minutes(activity.window_minutes)
        who = ctx.original_sender_name
        fix = ctx.reply_to_sender_only()
        yield Finding(
            rule=self.id,
            severity=self.default_severity,
            message=(
                f"{_people(activity.repliers)} already replied to all {audience:,} recipients "
                f"in the last {window}."
            ),
            explanation=(
                f"Each reply-all lands in {ctx.audience:,} inboxes and invites the next one. "
                f"Reply to {who} only, or let the thread rest."
            ),
            fixes=(fix,) if fix else (),
            data={
                "repliers": activity.repliers,
                "thread_audience": activity.audience,
                "audience": ctx.audience,
                "window_minutes": activity.window_minutes,
            },
        )

    examples = (
        trips("nine others replied to all 2,400 within half an hour", _thread(9, 30)),
        trips("five is enough by default", _thread(5, 60)),
        trips(
            "a smaller list with lower thresholds",
            {
                **_thread(3, 60, audience=120),
                "cc": [{"email": "eng@corp.example", "type": "group", "member_count": 120}],
            },
            options={"min_reply_alls": 3, "min_audience": 100},
        ),
        clean("four others: not yet a storm", _thread(4, 60)),
        clean("no counts from the server: the rule says nothing", _thread(0, 60, audience=None)),
        clean(
            "a reply to the sender alone adds nothing to the storm",
            {
                **_thread(9, 30),
                "compose_type": "reply",
                "to": [{"email": "facilities@corp.example"}],
                "cc": [],
            },
        ),
        clean(
            "a thread among a few dozen people",
            {
                **_thread(12, 60, audience=40),
                "cc": [{"email": "team@corp.example", "type": "group", "member_count": 40}],
            },
        ),
    )
