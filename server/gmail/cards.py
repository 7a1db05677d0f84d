"""Gmail add-on cards: pure functions from a `Report` (and what the adapter knows) to card JSON.

The card dicts follow Google's Card message (`google.apps.card.v1.Card`, the JSON of the HTTP
add-on runtime); the envelopes around them follow the add-on response format: a trigger
(homepage, compose action) answers `{"action": {"navigations": [...]}}`, a widget's action answers
`{"renderActions": {...}}`, and a change to the draft is
`renderActions.hostAppAction.gmailAction.updateDraftActionMarkup`.

Text taken from the draft (excerpts) or from rules (messages) is escaped: decorated text and text
paragraphs render basic HTML, and a draft must not be able to format, or link from, our card.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote

from linters import Finding, Fix, Policy, Report, Severity

from ..identity import FALLBACK_NOTES

# Limits. The Card reference (google.apps.card.v1.Card, "Card" in the Google Chat API / Workspace
# add-ons reference) says: "You can add up to 100 widgets per card. Any widgets beyond this limit
# are ignored." The add-on cards guide (workspace/add-ons/concepts/cards, "Card anatomy") allows
# no more than 100 sections per card. Every card here stays within both.
MAX_WIDGETS = 100
MAX_SECTIONS = 100
# Google documents no length limit for widget text or action parameters; these are ours, to keep
# the narrow sidebar readable and the response small. Longer text is cut with "…".
MAX_TITLE = 80
MAX_MESSAGE = 400
MAX_EXCERPT = 160
MAX_SUMMARY = 200
MAX_PARAMETER = 2000
ELLIPSIS = "…"

MODES = ("metadata", "full")
FAILED_LOOKUPS = ("gmail", "directory")
POLICY_FALLBACKS = ("last-known", "defaults")  # linters/model.py's FALLBACKS

SEVERITY_LABELS = {
    Severity.BLOCK: "Block",
    Severity.WARNING: "Warning",
    Severity.HINT: "Hint",
    Severity.OFF: "Off",
}
# Fields a fix may set for the card to offer it as one click: updateDraftActionMarkup replaces
# the To, Cc and Bcc lists (and the subject, which no fix sets yet).
FIXABLE_FIELDS = frozenset({"to", "cc", "bcc"})


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What the adapter knows besides the report.

    `mode` is the deployment's (`metadata`: recipients only; `full`: the draft is read through
    the Gmail API); `body_checked` says whether the text was actually linted; `failed` names the
    lookups that failed or timed out (`gmail`, `directory`), so the card can say what is missing;
    `policy_fallback` says the organisation's current policy could not be read and what was used
    instead (`last-known`, `defaults`).
    """

    base_url: str
    mode: str = "metadata"
    body_checked: bool = False
    failed: frozenset[str] = field(default_factory=frozenset)
    policy_fallback: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        if self.policy_fallback is not None and self.policy_fallback not in POLICY_FALLBACKS:
            raise ValueError(f"unknown policy fallback: {self.policy_fallback!r}")
        unknown = set(self.failed) - set(FAILED_LOOKUPS)
        if unknown:
            raise ValueError(f"unknown failed lookups: {sorted(unknown)}")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        object.__setattr__(self, "failed", frozenset(self.failed))

    def endpoint(self, name: str) -> str:
        return f"{self.base_url}/gmail/{name}"


# --- small builders -------------------------------------------------------------------------


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in "…" when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def _text(text: str, limit: int) -> str:
    """Plain text made safe for a widget that renders basic HTML: cut first, then escaped, so
    an entity is never cut in half."""
    return escape(truncate(text, limit), quote=False)


def _action(function: str, parameters: dict[str, str] | None = None) -> dict:
    action: dict = {"function": function}
    if parameters:
        action["parameters"] = [{"key": key, "value": value} for key, value in parameters.items()]
    return action


def _button(text: str, function: str, parameters: dict[str, str] | None = None) -> dict:
    return {"text": text, "onClick": {"action": _action(function, parameters)}}


def _paragraph(text: str) -> dict:
    return {"textParagraph": {"text": text}}


def _decorated(text: str, *, top: str | None = None, bottom: str | None = None) -> dict:
    widget: dict = {"text": text, "wrapText": True}
    if top:
        widget["topLabel"] = top
    if bottom:
        widget["bottomLabel"] = bottom
    return {"decoratedText": widget}


def _header(title: str, subtitle: str | None = None) -> dict:
    header = {"title": truncate(title, MAX_TITLE)}
    if subtitle:
        header["subtitle"] = truncate(subtitle, MAX_TITLE)
    return header


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# --- envelopes ------------------------------------------------------------------------------


def trigger_response(card: dict) -> dict:
    """The answer to a trigger (homepage, the compose action): show `card`."""
    return {"action": {"navigations": [{"pushCard": card}]}}


def update_response(card: dict) -> dict:
    """The answer to a button (Re-check): replace the card shown with `card`."""
    return {"renderActions": {"action": {"navigations": [{"updateCard": card}]}}}


def push_response(card: dict) -> dict:
    """The answer to a button that opens a card on top (Why?)."""
    return {"renderActions": {"action": {"navigations": [{"pushCard": card}]}}}


def _recipients(entries: Iterable[dict]) -> list[dict]:
    return [{"email": entry["email"]} for entry in entries]


def can_apply(fix: Fix) -> bool:
    """Whether the card can apply `fix` in one click (it only replaces recipient lists)."""
    return bool(fix.set) and set(fix.set) <= FIXABLE_FIELDS


def fix_response(fix: Fix) -> dict:
    """The answer to a fix button: replace the draft's To/Cc/Bcc as `fix.set` says.

    A list that the fix sets empty is still sent (an empty `ccRecipients`), which clears it; a
    field the fix does not mention is left alone.
    """
    if not can_apply(fix):
        raise ValueError(f"fix {fix.id!r} sets {sorted(fix.set)}; only to, cc and bcc can be set")
    markup: dict = {}
    if "to" in fix.set:
        markup["updateToRecipients"] = {"toRecipients": _recipients(fix.set["to"])}
    if "cc" in fix.set:
        markup["updateCcRecipients"] = {"ccRecipients": _recipients(fix.set["cc"])}
    if "bcc" in fix.set:
        markup["updateBccRecipients"] = {"bccRecipients": _recipients(fix.set["bcc"])}
    return {
        "renderActions": {"hostAppAction": {"gmailAction": {"updateDraftActionMarkup": markup}}}
    }


# --- the compose card -----------------------------------------------------------------------


def notes(context: CheckContext) -> list[str]:
    """Short notes on what could not be checked, plain text."""
    lines = []
    if not context.body_checked:
        if context.mode == "metadata":
            lines.append(
                "Only the recipients were checked: this deployment of draftlint does not read "
                "the text of drafts."
            )
        elif "gmail" in context.failed:
            lines.append("Gmail did not answer in time, so only the recipients were checked.")
        else:
            lines.append(
                "The draft's text was not saved yet, so only the recipients were checked. "
                "Re-check in a moment."
            )
    if "directory" in context.failed:
        lines.append(
            # Without the Directory a group's address looks like anyone's: it counts as one.
            "Group sizes could not be looked up, so a group may count as a single recipient."
        )
    lines.extend(policy_notes(context))
    return lines


def policy_notes(context: CheckContext) -> list[str]:
    """A note when the organisation's current policy could not be read."""
    note = FALLBACK_NOTES.get(context.policy_fallback or "")
    return [note] if note else []


def _finding_widgets(finding: Finding, context: CheckContext) -> list[dict]:
    label = SEVERITY_LABELS.get(finding.severity, finding.severity.value.title())
    widgets = [
        _decorated(
            _text(finding.message, MAX_MESSAGE),
            top=label,
        )
    ]
    if finding.excerpt:
        widgets.append(_decorated(f"“{_text(finding.excerpt, MAX_EXCERPT)}”", top="In your draft"))
    buttons = []
    for fix in finding.fixes:
        parameters = _fix_parameters(finding, fix)
        if parameters is not None:
            buttons.append(
                _button(truncate(fix.title, MAX_TITLE), context.endpoint("fix"), parameters)
            )
    buttons.append(_button("Why?", context.endpoint("why"), {"rule": finding.rule}))
    widgets.append({"buttonList": {"buttons": buttons}})
    return widgets


def _fix_parameters(finding: Finding, fix: Fix) -> dict[str, str] | None:
    """What the fix button sends back to `/gmail/fix`: the fix and exactly what it sets, as
    JSON. None when the card cannot offer the fix: it sets other fields, or its JSON would not fit
    in a parameter (cut JSON is no JSON, so such a fix gets no button rather than a broken one).
    The fix endpoint treats these values as input like any other: it checks them before use."""
    if not can_apply(fix):
        return None
    value = json.dumps(fix.set, ensure_ascii=False, separators=(",", ":"))
    if len(value) > MAX_PARAMETER:
        return None
    return {"rule": finding.rule, "fix": fix.id, "set": value}


def compose_card(report: Report, context: CheckContext) -> dict:
    """The card the compose action answers with: one section per finding, the notes, Re-check.

    Findings come loudest first. When they would pass the widget limit, the rest are summed up
    in one line ("3 more findings not shown") rather than silently dropped by Gmail.
    """
    findings = sorted(report.findings, key=lambda f: -f.severity.rank)
    count = len(findings)
    subtitle = (
        f"{_plural(count, 'finding')} · audience {report.audience}"
        if count
        else f"Nothing to fix · audience {report.audience}"
    )
    sections: list[dict] = []
    note_lines = notes(context)
    if note_lines:
        sections.append({"widgets": [_paragraph(_text(line, MAX_MESSAGE)) for line in note_lines]})
    if not findings:
        sections.append(
            {
                "widgets": [
                    _decorated(
                        "No low-effort patterns found. Good to send.",
                        top="All clear",
                    )
                ]
            }
        )
    footer = {"widgets": [{"buttonList": {"buttons": [_recheck_button(context)]}}]}
    # Keep room for the footer and for the "more not shown" line.
    budget_widgets = MAX_WIDGETS - _widget_count(sections) - 2
    budget_sections = MAX_SECTIONS - len(sections) - 2
    shown = 0
    for finding in findings:
        widgets = _finding_widgets(finding, context)
        if len(widgets) > budget_widgets or budget_sections < 1:
            break
        sections.append({"header": _text(finding.rule, MAX_TITLE), "widgets": widgets})
        budget_widgets -= len(widgets)
        budget_sections -= 1
        shown += 1
    if shown < count:
        hidden = count - shown
        sections.append({"widgets": [_paragraph(f"{_plural(hidden, 'more finding')} not shown.")]})
    sections.append(footer)
    return {"name": "compose", "header": _header("draftlint", subtitle), "sections": sections}


def _recheck_button(context: CheckContext) -> dict:
    return _button("Re-check", context.endpoint("compose"), {"origin": "recheck"})


def _widget_count(sections: list[dict]) -> int:
    return sum(len(section["widgets"]) for section in sections)


# --- the homepage and the Why? card ---------------------------------------------------------


HOMEPAGE_INTRO = (
    "draftlint checks the mail you are writing for low-effort patterns: the reply-all that only "
    "says “OK”, the vague “I don't understand”, the empty check-in, the unsubscribe request "
    "sent to the whole list. Open it from the compose window with “Check draft”."
)


def homepage_card(policy: Policy, context: CheckContext) -> dict:
    """The homepage: what draftlint checks and the organisation's policy in brief."""
    sections = [{"widgets": [_paragraph(escape(HOMEPAGE_INTRO, quote=False))]}]
    if context.mode == "metadata":
        sections[0]["widgets"].append(
            _paragraph(
                "This deployment sees only the recipients of a draft, so the rules about the "
                "text stay quiet."
            )
        )
    for line in policy_notes(context):
        sections[0]["widgets"].append(_paragraph(_text(line, MAX_MESSAGE)))
    rules = sorted(policy.rules.items(), key=lambda item: (-item[1].severity.rank, item[0]))
    budget = MAX_WIDGETS - _widget_count(sections) - 1
    widgets = []
    for rule_id, settings in rules[:budget]:
        summary = policy.registry[rule_id].summary if rule_id in policy.registry else ""
        widgets.append(
            _decorated(
                escape(rule_id, quote=False),
                top=SEVERITY_LABELS.get(settings.severity, settings.severity.value),
                bottom=_text(summary, MAX_SUMMARY) if summary else None,
            )
        )
    if len(rules) > budget:
        widgets[-1] = _paragraph(f"{_plural(len(rules) - budget + 1, 'more rule')} not shown.")
    if not widgets:
        widgets.append(_paragraph("No rules are installed."))
    org = policy.org or "your organisation"
    version = f" (policy version {policy.version})" if policy.version is not None else ""
    sections.append({"header": _text(f"Rules at {org}{version}", MAX_TITLE), "widgets": widgets})
    return {
        "name": "homepage",
        "header": _header("draftlint", "Checks drafts before they go"),
        "sections": sections,
    }


def why_card(rule_id: str, summary: str, explanation: str, context: CheckContext) -> dict:
    """The card the Why? button opens: what the rule flags and why it matters, with a link to
    the rule's page."""
    widgets = [_decorated(_text(summary, MAX_SUMMARY), top=escape(rule_id, quote=False))]
    if explanation:
        widgets.append(_paragraph(_text(explanation, MAX_MESSAGE)))
    widgets.append(
        {
            "buttonList": {
                "buttons": [
                    {
                        "text": "Read more",
                        "onClick": {
                            "openLink": {"url": f"{context.base_url}/docs/rules/{quote(rule_id)}"}
                        },
                    }
                ]
            }
        }
    )
    return {"name": "why", "header": _header("Why?", rule_id), "sections": [{"widgets": widgets}]}
