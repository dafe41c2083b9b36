"""Keep credentials out of journals, notebook outputs and records."""

from __future__ import annotations

import re
from typing import Any

REDACTED = "***redacted***"
_SECRET_KEY_NAME = re.compile(r"secret|password|token|credential|otp|passphrase|private", re.IGNORECASE)
_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")


def redact(value: Any) -> Any:
    """A copy of `value` with secret-named fields and access key ids replaced by a marker."""
    if isinstance(value, dict):
        return {k: (REDACTED if isinstance(k, str) and _SECRET_KEY_NAME.search(k) else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _ACCESS_KEY_ID.sub(REDACTED, value)
    return value
