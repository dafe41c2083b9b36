"""Fault injection, off by default: throttle a fraction of calls, limit the call rate, fail the n-th call, add latency,
refuse calls as credentials without the permission would be refused.

Keys are `service:Operation` (e.g. `organizations:CreateAccount`), `service:*` for a service, or `*` for every
call; the most specific key in force applies. A rate limit (`rate_limit: {key: [per_second, burst]}`) is a token
bucket, as AWS throttles an account's request rate: a call finding the bucket empty is throttled. Errors are sent as each
protocol sends them, so botocore sees (and retries) them as it would from AWS:
- throttled: JSON `TooManyRequestsException` (400), query `Throttling` (400), REST `TooManyRequestsException` (429);
- failed: `ServiceUnavailable`/`ServiceException` with HTTP 503;
- refused (`refuse: [key, ...]`): `AccessDenied` (query, REST-XML), `UnauthorizedOperation` (EC2), JSON and
  REST-JSON `AccessDeniedException`, with HTTP 403.
An empty page (`empty_page: {key: fraction}`) answers a fraction of the List calls whose documentation warns of
them (every Organizations List* operation: "These operations can occasionally return an empty set of results even
when more results are available. Continue making requests until NextToken returns null.") with no items and a
NextToken, when the call would have succeeded; see paging. Other calls are never emptied.
A seeded random generator makes a throttling (and emptying) pattern repeatable.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from html import escape
from typing import Any

from orgnb.aws.pacing import TokenBucket


@dataclass
class Faults:
    """The faults in force, and the counters they need."""

    throttle: dict[str, float] = field(default_factory=dict)
    fail_nth: dict[str, int] = field(default_factory=dict)
    latency_ms: dict[str, int] = field(default_factory=dict)
    rate_limit: dict[str, tuple[float, float]] = field(default_factory=dict)
    refuse: tuple[str, ...] = ()
    empty_page: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    rate_limited: Counter[str] = field(default_factory=Counter)
    emptied: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {k: TokenBucket(rate, burst) for k, (rate, burst) in self.rate_limit.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        """Faults from their JSON form."""
        return cls(
            throttle={k: float(v) for k, v in (data.get("throttle") or {}).items()},
            fail_nth={k: int(v) for k, v in (data.get("fail_nth") or {}).items()},
            latency_ms={k: int(v) for k, v in (data.get("latency_ms") or {}).items()},
            rate_limit={k: (float(v[0]), float(v[1])) for k, v in (data.get("rate_limit") or {}).items()},
            refuse=tuple(str(k) for k in data.get("refuse") or ()),
            empty_page={k: float(v) for k, v in (data.get("empty_page") or {}).items()},
            seed=int(data.get("seed", 0)),
        )

    def to_dict(self) -> dict[str, Any]:
        """The faults' JSON form, with the calls counted so far."""
        return {
            "throttle": self.throttle,
            "fail_nth": self.fail_nth,
            "latency_ms": self.latency_ms,
            "rate_limit": {k: list(v) for k, v in self.rate_limit.items()},
            "refuse": list(self.refuse),
            "empty_page": self.empty_page,
            "seed": self.seed,
            "calls": dict(self.calls),
            "rate_limited": dict(self.rate_limited),
            "emptied": dict(self.emptied),
        }

    def decide(self, key: str) -> str | None:
        """Sleep for the latency in force, then say whether this call is 'refused', 'throttled', 'failed' or neither."""
        delay = _lookup(self.latency_ms, key, 0)
        if delay:
            time.sleep(delay / 1000)
        with self._lock:
            self.calls[key] += 1
            if _most_specific(self.refuse, key) is not None:
                return "refused"
            if self.fail_nth.get(key) == self.calls[key]:
                return "failed"
            bucket_key = _most_specific(self._buckets, key)
            if bucket_key is not None and not self._buckets[bucket_key].try_take():
                self.rate_limited[key] += 1
                return "throttled"
            fraction = _lookup(self.throttle, key, 0.0)
            return "throttled" if fraction and self._random.random() < fraction else None

    def empties(self, key: str) -> bool:
        """Whether this List call gets an empty page (the `empty_page` fraction in force for `key`)."""
        fraction = _lookup(self.empty_page, key, 0.0)
        with self._lock:
            return bool(fraction) and self._random.random() < fraction

    def count_empty(self, key: str) -> None:
        """Count an empty page served for `key`."""
        with self._lock:
            self.emptied[key] += 1


def _most_specific(table: Collection[str], key: str) -> str | None:
    """The key of `table` (a mapping or a collection of keys) that applies to the call `key`: itself, its service's `service:*`, or `*`."""
    service = key.split(":", 1)[0]
    return next((k for k in (key, f"{service}:*", "*") if k in table), None)


def _lookup(table: dict[str, Any], key: str, default: Any) -> Any:
    found = _most_specific(table, key)
    return table[found] if found is not None else default


# fault -> (query code, JSON / REST code, query status, JSON status, REST status, message)
_ERRORS = {
    "throttled": ("Throttling", "TooManyRequestsException", "400 Bad Request", "400 Bad Request", "429 Too Many Requests", "Rate exceeded"),
    "failed": (
        "ServiceUnavailable",
        "ServiceException",
        "503 Service Unavailable",
        "503 Service Unavailable",
        "503 Service Unavailable",
        "The service is unavailable. Try again later.",
    ),
}
# AccessDenied as each protocol names it (EC2 has its own code); JSON and REST-JSON services: AccessDeniedException
_DENIED_CODES = {"query": "AccessDenied", "rest-xml": "AccessDenied", "ec2": "UnauthorizedOperation"}


def aws_error(
    protocol: str, status_line: str, code: str, message: str, request_id: str = "fault", query_code: str | None = None
) -> tuple[str, list[tuple[str, str]], bytes]:
    """The status line, headers and body of an AWS error in `protocol`'s wire shape (query, ec2, rest-xml, or JSON;
    `query_code`, for a query-compatible JSON service, is the code its x-amzn-query-error header gives)."""
    text = escape(message, quote=False)
    error = f"<Code>{code}</Code><Message>{text}</Message>"
    if protocol == "query":
        body = f"<ErrorResponse><Error><Type>Sender</Type>{error}</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    elif protocol == "ec2":
        body = f"<Response><Errors><Error>{error}</Error></Errors><RequestID>{request_id}</RequestID></Response>"
    elif protocol == "rest-xml":
        body = f"<Error>{error}<RequestId>{request_id}</RequestId></Error>"
    else:
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
        headers += [("x-amzn-query-error", f"{query_code};Sender")] if query_code else []
        return status_line, headers, json.dumps({"__type": code, "Message": message, "message": message}).encode()
    return status_line, [("Content-Type", "text/xml")], body.encode()


def access_denied(protocol: str, message: str, query_compatible: bool = False) -> tuple[str, list[tuple[str, str]], bytes]:
    """The 403 AccessDenied response in `protocol`'s shape."""
    code = _DENIED_CODES.get(protocol, "AccessDeniedException")
    text = f"You are not authorized to perform this operation. {message}" if protocol == "ec2" else message
    return aws_error(protocol, "403 Forbidden", code, text, str(uuid.uuid4()), "AccessDenied" if query_compatible else None)


def expired_token(protocol: str, message: str, query_compatible: bool = False) -> tuple[str, list[tuple[str, str]], bytes]:
    """The 400 ExpiredToken response (temporary credentials past their expiration) in `protocol`'s shape."""
    return aws_error(protocol, "400 Bad Request", "ExpiredToken", message, str(uuid.uuid4()), "ExpiredToken" if query_compatible else None)


def error_response(protocol: str, fault: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """The status line, headers and body AWS sends for a throttled, failed or refused call in `protocol`."""
    if fault == "refused":
        return access_denied(protocol, "not authorized to perform this action")
    query_code, json_code, query_status, json_status, rest_status, message = _ERRORS[fault]
    if protocol == "query":
        return aws_error(protocol, query_status, query_code, message)
    return aws_error(protocol, rest_status if protocol.startswith("rest") else json_status, json_code, message)
