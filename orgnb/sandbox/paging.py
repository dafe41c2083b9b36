"""Pagination as Organizations serves it: at most 20 items a page, MaxResults 1-20, NextToken only when more remain."""

from __future__ import annotations

import base64
from typing import Any

from orgnb.sandbox.exceptions import OrgInvalidInput

MAX_RESULTS = 20


def page(items: list[dict[str, Any]], params: dict[str, Any], key: str) -> dict[str, Any]:
    """One page as AWS serves it: at most MaxResults (1-20), NextToken only when more remain."""
    size = params.get("MaxResults") or MAX_RESULTS
    if not 1 <= size <= MAX_RESULTS:
        raise OrgInvalidInput("MAX_VALUE_EXCEEDED", f"MaxResults must be between 1 and {MAX_RESULTS}.")
    start = 0
    if params.get("NextToken"):
        try:
            start = int(base64.urlsafe_b64decode(params["NextToken"].encode()).decode().removeprefix("page:"))
        except (ValueError, UnicodeDecodeError):
            raise OrgInvalidInput("INVALID_NEXT_TOKEN", "The NextToken is not valid.") from None
    out: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        out["NextToken"] = base64.urlsafe_b64encode(f"page:{start + size}".encode()).decode()
    return out
