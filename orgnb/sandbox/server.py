"""The sandbox server: moto's WSGI app on loopback, wrapped with a call log and a small admin API.

Admin routes (JSON): GET `/orgnb-api/instance` (instance id, scenario, profiles), GET `/orgnb-api/calls`
(`?writes=1` for writes only), GET `/orgnb-api/mailbox` (`?address=` for one recipient), ,
POST `/orgnb-api/accounts/<id>/standalone` (`{"payment_method": true, ...}`: the console's standalone sign-up), and
POST `/orgnb-api/settings` (CreateAccount's and CloseAccount's times and limits, injected CreateAccount failures, quotas, the principal type
of AssumeRoot sessions; each module registers its own with state, and FIDELITY.md lists them),
GET/POST `/orgnb-api/faults` (throttling, a rate limit, n-th call failures, latency, empty List pages; see faults), and
POST `/orgnb-api/seed` (`{"management_account_id": ..., "ous": 50, "accounts": 1000}`: bulk OUs and accounts for
benchmarks; see bulk).
Everything else goes to moto, after injected faults, after the caller's service control policies (authz, scp) and
after the Support API's plan (support): a request they refuse gets its error before moto sees it. Every AWS request
is logged with its status, whatever answers it; an operation nothing serves, or a handler that raises, gets an
AWS-shaped error, and every answer its protocol's Content-Type (wire).
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from moto.iam.models import get_account_id_from
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from orgnb.sandbox import authz, bulk, mailbox, paging, principals, registry, rootaccess, state, support, wire
from orgnb.sandbox.calllog import CallLog, Credential, operation_of, parse_credential, protocol_of, query_compatible
from orgnb.sandbox.faults import Faults, access_denied, error_response, expired_token
from orgnb.sandbox.principals import Principal

ADMIN_PREFIX = "/orgnb-api/"
LOG = logging.getLogger(__name__)
StartResponse = Callable[..., Any]
Reply = wire.Reply


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    body = stream.read(int(length)) if length else (stream.read() if environ.get("wsgi.input_terminated") else b"")
    return _set_body(environ, body)


def _set_body(environ: dict[str, Any], body: bytes) -> bytes:
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _capture(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> Reply:
    """What `app` answers `environ`: its status line, headers and whole body."""
    started: list[tuple[str, list[tuple[str, str]]]] = []
    served = app(environ, lambda status_line, headers, exc_info=None: started.append((status_line, headers)))
    try:
        body = b"".join(served)
    finally:
        close = getattr(served, "close", None)
        if close is not None:
            close()  # a WSGI app's teardown, as a server would call it
    return started[0][0], started[0][1], body


STANDALONE_FIELDS = ("payment_method", "phone_verified", "eula_accepted")


def set_standalone_profile(account_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """What the console does for an account about to stand alone: add a payment method, verify the phone, sign."""
    entry = registry.record(account_id)
    for name in STANDALONE_FIELDS:
        if name in changes:
            setattr(entry, name, bool(changes[name]))
    return {"account_id": account_id, **{name: getattr(entry, name) for name in STANDALONE_FIELDS}}


class SandboxApp:
    """WSGI middleware: serves the admin routes, logs every AWS call, passes the rest to moto."""

    def __init__(
        self, inner: Callable[..., Iterable[bytes]], calllog: CallLog, info: Callable[[], dict[str, Any]], faults: Faults | None = None
    ) -> None:
        self.inner = inner
        self.calllog = calllog
        self.info = info
        self.faults = faults or Faults()

    def _admin(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        try:
            return self._admin_route(environ, start_response)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode()]

    def _admin_route(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if path == ADMIN_PREFIX + "instance":
            body = json.dumps(self.info())
        elif path == ADMIN_PREFIX + "calls":
            body = self.calllog.to_json(writes_only=query.get("writes", ["0"])[0] not in ("0", ""))
        elif path == ADMIN_PREFIX + "mailbox":
            body = json.dumps(mailbox.messages(query.get("address", [None])[0]))
        elif path == ADMIN_PREFIX + "faults":
            if environ.get("REQUEST_METHOD") == "POST":
                self.faults = Faults.from_dict(json.loads(_read_body(environ) or b"{}"))
            body = json.dumps(self.faults.to_dict())
        elif path == ADMIN_PREFIX + "settings" and environ.get("REQUEST_METHOD") == "POST":
            body = json.dumps(state.configure(json.loads(_read_body(environ) or b"{}")))
        elif path == ADMIN_PREFIX + "seed" and environ.get("REQUEST_METHOD") == "POST":
            spec = json.loads(_read_body(environ) or b"{}")
            body = json.dumps(bulk.seed_tree(str(spec["management_account_id"]), int(spec.get("ous", 0)), int(spec.get("accounts", 0))))
        elif path.startswith(ADMIN_PREFIX + "accounts/") and path.endswith("/standalone") and environ.get("REQUEST_METHOD") == "POST":
            body = json.dumps(set_standalone_profile(path.split("/")[-2], json.loads(_read_body(environ) or b"{}")))
        else:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"error": "unknown admin route"}']
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body.encode()]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(ADMIN_PREFIX):
            return self._admin(environ, start_response)
        body = _set_body(environ, paging.restore_token(_read_body(environ)))  # a token from an empty page: the page held back
        credential = parse_credential(environ.get("HTTP_AUTHORIZATION", ""))
        if not credential or path.startswith("/moto-api"):
            return self.inner(environ, start_response)
        headers = {"X-Amz-Target": environ.get("HTTP_X_AMZ_TARGET", ""), "Content-Type": environ.get("CONTENT_TYPE", "")}
        method, query = environ.get("REQUEST_METHOD", "GET"), environ.get("QUERY_STRING", "")
        operation = operation_of(method, path, headers, body, credential.service, query)
        principal = principals.of_key(credential.key)
        account = principal.account_id if principal is not None else get_account_id_from(credential.key)
        protocol = protocol_of(credential.service)
        try:
            reply = self._answer(environ, credential, operation, account, principal, path, headers["Content-Type"], body)
        except NotImplementedError:  # moto knows the operation's name and does not serve it
            reply = wire.unknown_operation(protocol, operation, query_compatible(credential.service))
        except Exception as error:  # noqa: BLE001  an AWS-shaped 500, never the server's HTML page
            LOG.exception("the sandbox failed on %s:%s", credential.service, operation)
            reply = wire.internal_failure(protocol, error)
        if wire.is_unrouted(reply):
            reply = wire.unknown_operation(protocol, operation, query_compatible(credential.service))
        status_line, reply_headers, reply_body = wire.with_content_type(reply, credential.service, protocol, bool(headers["X-Amz-Target"]))
        self.calllog.add(account, credential.service, operation, int(status_line.split()[0]))
        start_response(status_line, reply_headers)
        return [reply_body]

    def _answer(
        self,
        environ: dict[str, Any],
        credential: Credential,
        operation: str,
        account: str,
        principal: Principal | None,
        path: str,
        content_type: str,
        body: bytes,
    ) -> Reply:
        """The reply to one AWS request: an interception (fault, refusal, the Support API's plan), an empty page,
        or moto's answer."""
        reply = self._intercept(credential, operation, principal, path, content_type, body)
        reply = reply or support.reply(credential.service, account, operation)
        reply = reply or self._empty_page(environ, credential.service, operation, body)
        return reply or _capture(self.inner, environ)

    def _empty_page(self, environ: dict[str, Any], service: str, operation: str, body: bytes) -> Reply | None:
        """An empty page with a NextToken (the `empty_page` fault) in place of a List page moto serves, or None."""
        key = paging.empty_page_key(service, operation)
        if key is None or not self.faults.empties(f"{service}:{operation}"):
            return None
        status_line, headers, served = _capture(self.inner, environ)
        if not status_line.startswith("200"):
            return status_line, headers, served  # AWS answers a failing call with its error, not an empty page
        self.faults.count_empty(f"{service}:{operation}")
        return status_line, [("Content-Type", environ.get("CONTENT_TYPE") or "application/x-amz-json-1.1")], paging.empty_page(key, body)

    def _intercept(
        self, credential: Credential, operation: str, principal: Principal | None, path: str, content_type: str, body: bytes
    ) -> Reply | None:
        """An injected fault; ExpiredToken or AccessDenied for a root session's request its task policy does not
        allow; AccessDenied when the caller's SCPs refuse the request (all checked before moto sees it, as AWS
        authorizes before it considers any precondition); None lets the request through."""
        protocol, compatible = protocol_of(credential.service), query_compatible(credential.service)
        fault = self.faults.decide(f"{credential.service}:{operation}")
        if fault is not None:
            return error_response(protocol, fault)
        refused = rootaccess.refusal(credential.key, authz.action_of(credential.service, operation))
        if refused is not None:
            reply = access_denied if refused[0] == "AccessDenied" else expired_token
            return reply(protocol, refused[1], compatible)
        if principal is None:
            return None
        message = authz.refusal(principal, credential.service, operation, credential.region, path, content_type, body)
        return access_denied(protocol, message, compatible) if message is not None else None


class _QuietHandler(WSGIRequestHandler):
    """Request handler that leaves logging to the call log."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Log nothing per request."""


class ServerThread:
    """A werkzeug server for `app` on `host:port` (0 picks a free port), served from a daemon thread."""

    def __init__(self, app: SandboxApp, host: str, port: int) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="orgnb-sandbox", daemon=True)

    @property
    def url(self) -> str:
        """The base URL clients use."""
        host, port = self._server.server_address[:2]
        assert isinstance(host, str), "an AF_INET server's address is a str"
        return f"http://{host}:{port}"

    def start(self) -> None:
        """Serve in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def moto_app() -> Callable[..., Iterable[bytes]]:
    """moto's multi-service WSGI application."""
    return DomainDispatcherApplication(create_backend_app)
