"""Compose items for the Office.js stand-in (tests/support/office-standin.js): what
`Office.context.mailbox.item` holds in the Outlook browser tests and in tools/bench_outlook.py.

A reply to Julie's "Offsite agenda" mail, in Outlook on the web's HTML (the quoted thread below
its `appendonsend` marker): `REPLY_ALL` only says "OK with me"; `CLEAN_REPLY` says something.
"""

from __future__ import annotations

QUOTE = (
    '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> Julie Petit<br>'
    "<b>Subject:</b> Offsite agenda</div><div>Please confirm the Tuesday slot by Friday.</div>"
)
JULIE = {
    "emailAddress": "julie@corp.example",
    "displayName": "Julie Petit",
    "recipientType": "user",
}
SUBSTANCE = (
    "<div>Tuesday works for the design team, but legal cannot join before 2 pm; can we move the "
    "budget review to the afternoon?</div>"
)


def team(size: int) -> list[dict]:
    """Julie, who wrote the mail replied to, and `size - 1` colleagues."""
    return [JULIE] + [
        {
            "emailAddress": f"person{i}@corp.example",
            "displayName": f"Person {i}",
            "recipientType": "user",
        }
        for i in range(size - 1)
    ]


def reply(new_html: str, size: int = 5) -> dict:
    """Outlook's reply (it says `reply` for reply-all too) to Julie and the team."""
    return {
        "composeType": "reply",
        "inReplyTo": "<agenda-1@corp.example>",
        "subject": "Re: Offsite agenda",
        "to": team(size),
        "body": new_html + QUOTE,
    }


REPLY_ALL = reply("<div>OK with me</div>")
CLEAN_REPLY = reply(SUBSTANCE)
