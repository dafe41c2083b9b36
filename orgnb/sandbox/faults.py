"""Fault injection, off by default: throttle a fraction of calls, fail the n-th call, add latency.

Keys are `service:Operation` (e.g. `organizations:CreateAccount`) or `*` for every call. Errors are sent as each
protocol sends them, so botocore sees (and retries) them as it would from AWS:
- throttled: JSON `TooManyRequestsException` (400), query `Throttling` (400), REST `TooManyRequestsException` (429);
- failed: `ServiceUnavailable`/`ServiceException` with HTTP 503.
A seeded random generator makes a throttling pattern repeatable.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Faults:
    """The faults in force, and the counters they need."""

    throttle: dict[str, float] = field(default_factory=dict)
    fail_nth: dict[str, int] = field(default_factory=dict)
    latency_ms: dict[str, int] = field(default_factory=dict)
    seed: int = 0
    calls: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        """Faults from their JSON form."""
        return cls(
            throttle={k: float(v) for k, v in (data.get("throttle") or {}).items()},
            fail_nth={k: int(v) for k, v in (data.get("fail_nth") or {}).items()},
            latency_ms={k: int(v) for k, v in (data.get("latency_ms") or {}).items()},
            seed=int(data.get("seed", 0)),
        )

    def to_dict(self) -> dict[str, Any]:
        """The faults' JSON form, with the calls counted so far."""
        return {
            "throttle": self.throttle,
            "fail_nth": self.fail_nth,
            "latency_ms": self.latency_ms,
            "seed": self.seed,
            "calls": dict(self.calls),
        }

    def decide(self, key: str) -> str | None:
        """Sleep for the latency in force, then say whether this call is 'throttled', 'failed' or neither."""
        delay = self.latency_ms.get(key, self.latency_ms.get("*", 0))
        if delay:
            time.sleep(delay / 1000)
        with self._lock:
            self.calls[key] += 1
            if self.fail_nth.get(key) == self.calls[key]:
                return "failed"
            fraction = self.throttle.get(key, self.throttle.get("*", 0.0))
            return "throttled" if fraction and self._random.random() < fraction else None


def error_response(protocol: str, fault: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """The status line, headers and body AWS sends for a throttled or failed call in `protocol`."""
    throttled = fault == "throttled"
    message = "Rate exceeded" if throttled else "The service is unavailable. Try again later."
    if protocol == "query":
        code = "Throttling" if throttled else "ServiceUnavailable"
        error = f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        body = f"<ErrorResponse>{error}<RequestId>fault</RequestId></ErrorResponse>"
        return ("400 Bad Request" if throttled else "503 Service Unavailable"), [("Content-Type", "text/xml")], body.encode()
    code = "TooManyRequestsException" if throttled else "ServiceException"
    status = ("429 Too Many Requests" if protocol.startswith("rest") else "400 Bad Request") if throttled else "503 Service Unavailable"
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    return status, headers, json.dumps({"__type": code, "Message": message, "message": message}).encode()
