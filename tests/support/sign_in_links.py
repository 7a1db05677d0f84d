"""Using a one-time sign-in link as a person does: open it, then press its button."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit


def redeem(client, link: str):
    """Open `link` (a path, maybe with ?next=) with a Flask test client and press "Sign in";
    the answer to the button's POST."""
    page = client.get(link)
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
    action = re.search(r'<form method="post" action="([^"]+)"', html)[1]
    nxt = parse_qs(urlsplit(link).query).get("next", [""])[0]
    return client.post(action, data={"csrf_token": csrf, "next": nxt})
