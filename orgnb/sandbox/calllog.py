"""The sandbox's call log: every AWS request it serves, with time, account, operation and read/write."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache
from typing import NamedTuple
from urllib.parse import parse_qs

import botocore.session
from botocore.model import ServiceModel

from orgnb.aws.apicalls import is_write

_CREDENTIAL = re.compile(r"Credential=(?P<key>[A-Z0-9]+)/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")


@dataclass(frozen=True)
class Call:
    """One request the sandbox served."""

    time: str
    account: str
    service: str
    operation: str
    write: bool
    status: int


_SESSION = botocore.session.get_session()


# Services the sandbox serves whose signing name is not their botocore name (each model's metadata.signingName):
# found here at once, where the scan below would load every model (seconds, once per process).
SIGNED_AS = {"sso": "sso-admin", "servicequotas": "service-quotas"}


@cache
def service_model(signing_name: str) -> ServiceModel | None:
    """The model of the service that signs as `signing_name`: the service of that name (or SIGNED_AS's) when it
    matches (most do), else the first that does (loading every model takes seconds, so that is the last resort)."""
    available = _SESSION.get_available_services()
    first = SIGNED_AS.get(signing_name, signing_name)
    for name in sorted(available, key=lambda n: n != first):
        model = _SESSION.get_service_model(name)
        if (model.signing_name or model.endpoint_prefix) == signing_name:
            return model
    return None


@cache
def _rest_routes(signing_name: str) -> tuple[tuple[str, re.Pattern[str], frozenset[str], str], ...]:
    """(method, path regex, required query keys, operation) for a REST service, most specific first."""
    model = service_model(signing_name)
    if model is not None and model.protocol.startswith("rest"):
        routes = []
        for op_name in model.operation_names:
            http = model.operation_model(op_name).http
            template, _, query = http["requestUri"].partition("?")
            pattern = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", re.escape(template))
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
            keys = frozenset(part.split("=")[0] for part in query.split("&") if part)
            routes.append((http["method"], re.compile(f"^{pattern}/?$"), keys, op_name))
        return tuple(sorted(routes, key=lambda r: (-len(r[2]), -len(r[1].pattern))))
    return ()


def operation_of(method: str, path: str, headers: dict[str, str], body: bytes, service: str, query: str = "") -> str:
    """The AWS operation a request asks for: JSON target header, query `Action`, or REST route.

    REST operations that share a method and path and differ only by headers (some of S3's) are named by the
    first route that matches; the services the runbook uses have one operation per route.
    """
    target = headers.get("X-Amz-Target", "")
    if target:
        return target.rsplit(".", 1)[-1]
    if body and "x-www-form-urlencoded" in headers.get("Content-Type", ""):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    present = set(parse_qs(query, keep_blank_values=True))
    for route_method, pattern, keys, op_name in _rest_routes(service):
        if route_method == method and keys <= present and pattern.match(path):
            return op_name
    return f"{method} {path}"


def protocol_of(signing_name: str) -> str:
    """The wire protocol of the service that signs as `signing_name` (json, query, rest-json, ...)."""
    model = service_model(signing_name)
    return str(model.protocol) if model is not None else "json"


def query_compatible(signing_name: str) -> bool:
    """True for a JSON service that also names its errors as its older query protocol did (awsQueryCompatible in
    its model, as SQS): its errors carry the query code in the x-amzn-query-error header, which botocore reads."""
    model = service_model(signing_name)
    return model is not None and "awsQueryCompatible" in model.metadata


class Credential(NamedTuple):
    """The credential scope of a SigV4 signature."""

    key: str
    region: str
    service: str


def parse_credential(authorization: str) -> Credential | None:
    """The access key id, region and service from a SigV4 Authorization header."""
    match = _CREDENTIAL.search(authorization)
    return Credential(match["key"], match["region"], match["service"]) if match else None


class CallLog:
    """A thread-safe, append-only list of calls."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    def add(self, account: str, service: str, operation: str, status: int) -> None:
        """Record one call."""
        call = Call(datetime.now(UTC).isoformat(timespec="milliseconds"), account, service, operation, is_write(operation), status)
        with self._lock:
            self._calls.append(call)

    def calls(self, writes_only: bool = False) -> list[Call]:
        """The calls so far, oldest first."""
        with self._lock:
            return [c for c in self._calls if c.write or not writes_only]

    def clear(self) -> None:
        """Forget every call (on reset)."""
        with self._lock:
            self._calls.clear()

    def to_json(self, writes_only: bool = False) -> str:
        """The calls as a JSON array."""
        return json.dumps([asdict(c) for c in self.calls(writes_only)])
