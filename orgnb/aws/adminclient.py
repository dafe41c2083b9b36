"""The one HTTP client of the sandbox's admin routes (/orgnb-api/...): the CLI, the guards, the Sandbox handle, tests.

The runbook side never imports the emulator's package; it reaches a sandbox only through these routes, on the
endpoint's scheme and host (any path in the endpoint is ignored).
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import urlsplit

ADMIN_PREFIX = "/orgnb-api/"


def admin_url(endpoint: str, route: str) -> str:
    """The URL of admin `route` (e.g. `instance`, `mailbox?address=...`) of the sandbox at `endpoint`."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}{ADMIN_PREFIX}{route}"


def admin_call(endpoint: str, route: str, payload: dict[str, Any] | None = None, timeout: float | None = None) -> Any:
    """GET admin `route`, or POST `payload` to it; the JSON answer (urllib's errors and JSON errors propagate)."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(admin_url(endpoint, route), data=data, method="POST" if data is not None else "GET")
    extra: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}  # no timeout: urlopen's own default
    with urllib.request.urlopen(request, **extra) as resp:  # noqa: S310 - the sandbox's admin routes
        return json.load(resp)
