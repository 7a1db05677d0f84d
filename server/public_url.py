"""The server's public base URL, as people and Google's and Microsoft's services reach it.

`PUBLIC_BASE_URL` (or `$DRAFTLINT_PUBLIC_BASE_URL`) when configured: behind a proxy, the request's
own URL may say http, or an internal host. The request's root URL otherwise.
"""

from __future__ import annotations

from flask import current_app, request


def public_base_url() -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    return (base or request.url_root).rstrip("/")
