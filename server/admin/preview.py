"""Preview: one pasted (or uploaded) e-mail linted under two policies, and what differs.

Nothing here stores or logs the mail: the draft lives in this request only. Recipients are typed
as the playground takes them: `Name <a@corp.example>`, comma-separated, with a group's member
count in brackets (`all-staff@corp.example (412)`) or `(group)` when it is not known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from linters import Policy, Report, lint
from linters.model import Finding

COMPOSE_TYPES = (
    ("reply_all", "Reply all"),
    ("reply", "Reply"),
    ("new", "New message"),
    ("forward", "Forward"),
)
MAIL_FIELDS = ("compose_type", "from", "to", "cc", "bcc", "subject", "body", "body_type")
_GROUP = re.compile(r"\(\s*(\d+|group)\s*\)\s*$", re.IGNORECASE)
_ANGLED = re.compile(r"^(.*)<([^>]*)>$", re.DOTALL)


def split_addresses(text: str) -> list[str]:
    """Split on the commas and semicolons that separate addresses (not those in quotes or <>)."""
    parts, current, quoted, angled = [], [], False, False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == "<" and not quoted:
            angled = True
        elif char == ">" and not quoted:
            angled = False
        if char in ",;" and not quoted and not angled:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def parse_address(text: str) -> dict:
    """`"Smith, J" <j@x> (412)` -> {"email": "j@x", "name": "Smith, J", "type": "group", ...}"""
    recipient: dict = {}
    marker = _GROUP.search(text)
    if marker:
        recipient["type"] = "group"
        if marker[1].lower() != "group":
            recipient["member_count"] = int(marker[1])
        text = text[: marker.start()].strip()
    angled = _ANGLED.match(text)
    if angled:
        name = angled[1].strip().removeprefix('"').removesuffix('"').replace('\\"', '"')
        if name:
            recipient["name"] = name
        text = angled[2].strip()
    return {"email": text, **recipient}


def format_address(recipient: dict) -> str:
    text = recipient.get("email") or ""
    name = recipient.get("name")
    if name:
        shown = '"' + name.replace('"', '\\"') + '"' if re.search(r'[",<>;()]', name) else name
        text = f"{shown} <{text}>"
    if recipient.get("type") == "group":
        count = recipient.get("member_count")
        text += f" ({count})" if isinstance(count, int) else " (group)"
    return text


def draft_from_form(form) -> dict:
    """Draft JSON from the preview form's fields."""
    sender = split_addresses(form.get("from", ""))
    compose_type = form.get("compose_type", "reply_all")
    draft = {
        "client": "api",
        "compose_type": compose_type,
        "subject": form.get("subject", ""),
        "to": [parse_address(a) for a in split_addresses(form.get("to", ""))],
        "cc": [parse_address(a) for a in split_addresses(form.get("cc", ""))],
        "bcc": [parse_address(a) for a in split_addresses(form.get("bcc", ""))],
        "body": {
            "content": form.get("body", ""),
            "type": "html" if form.get("body_type") == "html" else "text",
        },
    }
    if sender:
        draft["from"] = parse_address(sender[0])
    return draft


def form_from_draft(draft: dict) -> dict[str, str]:
    """The preview form's fields for a draft read from an .eml file."""
    body = draft.get("body") or {}
    sender = draft.get("from")
    return {
        "compose_type": draft.get("compose_type") or "new",
        "from": format_address(sender) if isinstance(sender, dict) else "",
        "to": ", ".join(format_address(r) for r in draft.get("to") or []),
        "cc": ", ".join(format_address(r) for r in draft.get("cc") or []),
        "bcc": ", ".join(format_address(r) for r in draft.get("bcc") or []),
        "subject": draft.get("subject") or "",
        "body": body.get("content") or "",
        "body_type": "html" if body.get("type") == "html" else "text",
    }


@dataclass(frozen=True)
class Difference:
    rule: str
    change: str  # appears | disappears | severity
    draft: Finding | None
    published: Finding | None

    @property
    def text(self) -> str:
        if self.change == "appears":
            return f"appears under the draft ({self.draft.severity.value})"
        if self.change == "disappears":
            return f"disappears under the draft (was {self.published.severity.value})"
        return f"changes severity: {self.published.severity.value} → {self.draft.severity.value}"


@dataclass(frozen=True)
class Comparison:
    draft: Report
    published: Report
    differences: tuple[Difference, ...]

    def change_for(self, rule: str) -> str | None:
        for difference in self.differences:
            if difference.rule == rule:
                return difference.change
        return None


def compare(draft: dict, draft_policy: Policy, published_policy: Policy) -> Comparison:
    """Lint under both policies (raising ValidationError naming a bad draft field)."""
    under_draft = lint(draft, draft_policy)
    under_published = lint(draft, published_policy)
    by_rule_draft = {f.rule: f for f in under_draft.findings}
    by_rule_published = {f.rule: f for f in under_published.findings}
    differences = []
    for rule in sorted(set(by_rule_draft) | set(by_rule_published)):
        new, old = by_rule_draft.get(rule), by_rule_published.get(rule)
        if old is None:
            differences.append(Difference(rule, "appears", new, None))
        elif new is None:
            differences.append(Difference(rule, "disappears", None, old))
        elif new.severity != old.severity:
            differences.append(Difference(rule, "severity", new, old))
    return Comparison(under_draft, under_published, tuple(differences))
