"""large-audience: a message that reaches many people.

Exchange shows a MailTip when a message goes to 25 or more people; this is the same nudge, with
groups counted by their members. A large audience is not wrong in itself — announcements need one —
so the default is a hint that says how many people and which groups, largest first, so the author
can check every group is meant to be there. It applies to every compose type.
"""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import fields, validate

from ..context import LintContext
from ..model import Finding, Severity
from ..registry import Options, Rule, clean, trips

MAX_NAMED_GROUPS = 3


class LargeAudienceOptions(Options):
    threshold = fields.Integer(
        strict=True,
        validate=validate.Range(min=2, max=1_000_000),
        metadata={"description": "Fire when the message reaches at least this many people."},
    )


def _count(n: int, noun: str = "person", plural: str = "people") -> str:
    return f"{n} {noun if n == 1 else plural}"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


class LargeAudience(Rule):
    id = "large-audience"
    summary = "A message that reaches many people (groups counted by their members)."
    default_severity = Severity.HINT
    options = LargeAudienceOptions
    defaults = {"threshold": 25}
    docs = "docs/rules/large-audience.md"

    def check(self, ctx: LintContext, options: Mapping):
        audience = ctx.audience
        if audience < options["threshold"]:
            return
        # sorted is stable: ties keep recipient order
        groups = sorted(ctx.audience_groups, key=lambda r: -ctx.size_of(r))
        named = groups[:MAX_NAMED_GROUPS]
        parts = []
        for group in named:
            label = group.name or group.email
            if group.member_count is None:
                parts.append(f"{label} (size unknown, counted as {ctx.size_of(group)})")
            else:
                parts.append(f"{label} ({ctx.size_of(group)})")
        if len(groups) > len(named):
            parts.append(_count(len(groups) - len(named), "more group", "more groups"))
        people = len(ctx.audience_recipients) - len(groups)
        if groups and people:
            parts.append(_count(people, "other person", "other people"))
        via = f": {_join(parts)}" if groups else ""
        yield Finding(
            rule=self.id,
            severity=self.default_severity,
            message=f"This message goes to {_count(audience)}{via}.",
            explanation=(
                "Every reader pays for a message they didn't need, and every reply-all multiplies "
                "that. Check each group is meant to be here, or send to a smaller audience and "
                "let the others find it where they look for news."
            ),
            data={
                "audience": audience,
                "threshold": options["threshold"],
                "groups": [
                    {
                        "email": g.email,
                        "name": g.name,
                        "members": ctx.size_of(g),
                        "size_known": g.member_count is not None,
                    }
                    for g in named
                ],
                "group_count": len(groups),
            },
        )

    examples = (
        trips(
            "a company-wide group",
            {
                "compose_type": "reply_all",
                "to": [{"email": "paul@corp.example"}],
                "cc": [
                    {
                        "email": "all-staff@corp.example",
                        "name": "All staff",
                        "type": "group",
                        "member_count": 250,
                    }
                ],
                "body": {"content": "Kickoff moved to Tuesday 10:00, same room."},
            },
        ),
        trips(
            "25 people listed one by one, on a new message",
            {
                "to": [{"email": f"user{i}@corp.example"} for i in range(25)],
                "body": {"content": "Agenda for Monday below."},
            },
        ),
        trips(
            "groups of unknown size count as the policy's unknown_group_size (10)",
            {
                "to": [
                    {"email": "team-a@corp.example", "type": "group"},
                    {"email": "team-b@corp.example", "type": "group"},
                    {"email": "team-c@corp.example", "type": "group"},
                ],
                "body": {"content": "Release notes attached."},
            },
        ),
        clean(
            "a dozen people",
            {
                "compose_type": "reply_all",
                "to": [{"email": f"user{i}@corp.example"} for i in range(12)],
                "body": {"content": "Kickoff moved to Tuesday 10:00."},
            },
        ),
        clean(
            "an organisation with a higher threshold",
            {
                "to": [{"email": "dept@corp.example", "type": "group", "member_count": 60}],
                "body": {"content": "Kickoff moved to Tuesday 10:00."},
            },
            options={"threshold": 100},
        ),
    )
