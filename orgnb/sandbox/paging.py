"""Pagination as Organizations serves it, and the empty pages AWS warns of.

- MaxResults: every Organizations List operation whose model caps MaxResults (1 to 20, for each of them in botocore's
  model) refuses a larger value with InvalidInputException MAX_VALUE_EXCEEDED; botocore checks only the minimum
  client-side, so the service must check the maximum.
- At most 20 items a page, NextToken only when more remain. moto pages some lists itself (ListAccounts with a page
  of 20 here, not its 100); those it answers whole (`UNPAGED`) are paged here; the sandbox's own lists (handshakes,
  CreateAccount requests) call `page`.
- Empty pages (the fault `empty_page`, see faults): each Organizations List* operation's documentation warns "These
  operations can occasionally return an empty set of results even when more results are available. Continue making
  requests until NextToken returns null." The fault answers such a call, when it would have succeeded, with no items
  and a NextToken that asks again for the page it held back (`empty_page`, `restore_token`).
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable
from functools import cache
from typing import Any

import botocore.session
from moto.organizations import utils
from moto.organizations.responses import OrganizationsResponse

from orgnb.sandbox.calllog import service_model
from orgnb.sandbox.exceptions import OrgInvalidInput

MAX_RESULTS = 20
# moto's list operations that ignore MaxResults and NextToken, answering every item at once.
UNPAGED = (
    "list_roots",
    "list_parents",
    "list_children",
    "list_targets_for_policy",
    "list_aws_service_access_for_organization",
    "list_delegated_administrators",
    "list_delegated_services_for_account",
)
EMPTY_MARKER = "orgnb-empty."
WARNING = "can occasionally return an empty set of results"
_SESSION = botocore.session.get_session()
_NONCE = itertools.count(1)


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


def _operation_name(handler_name: str) -> str:
    return "".join(part.upper() if part == "aws" else part.capitalize() for part in handler_name.split("_"))


def max_results(handler_name: str) -> int | None:
    """The largest MaxResults botocore's model allows the Organizations operation `handler_name` (e.g. list_roots)."""
    model = _SESSION.get_service_model("organizations")
    operation = _operation_name(handler_name)
    if operation not in model.operation_names:
        return None
    member = model.operation_model(operation).input_shape.members.get("MaxResults")
    return member.metadata.get("max") if member is not None else None


def _result_key(handler_name: str) -> str:
    return str(_SESSION.get_paginator_model("organizations").get_paginator(_operation_name(handler_name))["result_key"])


def _paged(
    name: str, original: Callable[[OrganizationsResponse], Any], limit: int, key: str | None
) -> Callable[[OrganizationsResponse], Any]:
    def handler(self: OrganizationsResponse) -> Any:
        size = self.request_params.get("MaxResults")
        if size is not None and int(size) > limit:
            raise OrgInvalidInput("MAX_VALUE_EXCEEDED", f"MaxResults must be between 1 and {limit}.")
        reply = original(self)
        return reply if key is None else json.dumps(page(json.loads(reply)[key], self.request_params, key))

    handler.__name__ = name
    return handler


def install() -> None:
    """Check MaxResults on every capped List operation moto serves; page those it answers whole."""
    for name in sorted(n for n in vars(OrganizationsResponse) if n.startswith("list_")):
        limit = max_results(name)
        if limit is None:
            continue
        if name in utils.PAGINATION_MODEL:
            utils.PAGINATION_MODEL[name]["limit_default"] = limit
        key = _result_key(name) if name in UNPAGED else None
        setattr(OrganizationsResponse, name, _paged(name, getattr(OrganizationsResponse, name), limit, key))


@cache
def empty_page_key(signing_name: str, operation: str) -> str | None:
    """The result key of `operation` when its documentation warns of empty pages (a JSON service paged by
    NextToken); None for every other operation."""
    model = service_model(signing_name)
    if model is None or model.protocol != "json" or operation not in model.operation_names:
        return None
    if WARNING not in (model.operation_model(operation).documentation or ""):
        return None
    try:
        config = _SESSION.get_paginator_model(model.service_name).get_paginator(operation)
    except ValueError:
        return None
    key = config.get("result_key")
    return key if isinstance(key, str) and config.get("input_token") == "NextToken" else None


def empty_page(result_key: str, request_body: bytes) -> bytes:
    """An empty page's body: no items, and a NextToken (new each time) that asks again for the page held back."""
    held = json.loads(request_body or b"{}").get("NextToken")
    token = EMPTY_MARKER + base64.urlsafe_b64encode(json.dumps([next(_NONCE), held]).encode()).decode()
    return json.dumps({result_key: [], "NextToken": token}).encode()


def restore_token(body: bytes) -> bytes:
    """`body` with an empty page's NextToken replaced by the token it held back (removed for a first page)."""
    if EMPTY_MARKER.encode() not in body:
        return body
    try:
        params = json.loads(body)
        token = str(params["NextToken"])
        if not token.startswith(EMPTY_MARKER):
            return body
        _, held = json.loads(base64.urlsafe_b64decode(token.removeprefix(EMPTY_MARKER).encode()))
    except (ValueError, TypeError, KeyError):
        return body  # not one of ours: the operation judges it
    if held is None:
        params.pop("NextToken")
    else:
        params["NextToken"] = held
    return json.dumps(params).encode()
