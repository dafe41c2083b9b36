"""Every answer in its protocol's shape: the Content-Type each protocol requires, and AWS's errors for an operation
nothing serves and for a handler that failed, where moto's server would send an HTML page.

Protocols come from botocore's model of the service that signed the request (metadata `protocol`, `jsonVersion`;
see calllog.service_model):
- JSON 1.0 / 1.1 (Organizations, Support, KMS, SSO Admin, Service Quotas, DynamoDB...): `application/x-amz-json-1.0`
  or `-1.1`, as the AWS JSON protocols require of responses (moto's server sends `text/html; charset=utf-8` for
  several of them). A query-shaped request to a JSON service (an older SDK's SQS) keeps moto's XML answer.
- query and EC2 (IAM, STS, CloudFormation, EC2): `text/xml`.
- REST-JSON (Account Management, RAM, Lambda): `application/json` in place of an HTML type; other types (a blob
  payload's) are left. REST-XML (S3) is left as moto sends it.

Errors for an operation neither moto nor the sandbox serves (moto raises NotImplementedError, or its router finds no
route and answers an HTML 404):
- query and EC2: `InvalidAction`, HTTP 400, "The action or operation requested is invalid. Verify that the action
  is typed correctly." (Common Errors, in each query service's API reference);
- JSON: `UnknownOperationException`, HTTP 400, as JSON services answer an X-Amz-Target they do not know (their
  Common Errors pages do not list it; the code and status are what the SDKs' issue trackers show real services
  sending, e.g. CloudWatch Logs and OpsWorks);
- REST-JSON and REST-XML: `UnknownOperationException`, HTTP 404, as a REST endpoint answers a route it does not
  know (the JSON status would be read as a bad request to a known route).
A handler that fails any other way answers `InternalFailure`, HTTP 500 ("The request processing has failed because
of an unknown error, exception or failure.", Common Errors), with the exception named in the message; botocore
retries it as it would AWS's.
"""

from __future__ import annotations

import uuid

from orgnb.sandbox.calllog import service_model
from orgnb.sandbox.faults import aws_error

Reply = tuple[str, list[tuple[str, str]], bytes]

HTML = "text/html"
# protocol -> (code, status line) for an operation nothing serves
_UNKNOWN = {
    "query": ("InvalidAction", "400 Bad Request"),
    "ec2": ("InvalidAction", "400 Bad Request"),
    "json": ("UnknownOperationException", "400 Bad Request"),
    "rest-json": ("UnknownOperationException", "404 Not Found"),
    "rest-xml": ("UnknownOperationException", "404 Not Found"),
}
INVALID_ACTION_MESSAGE = "The action or operation requested is invalid. Verify that the action is typed correctly."


def content_type(signing_name: str, json_request: bool) -> str | None:
    """The Content-Type every answer of the service that signs as `signing_name` carries, or None to leave
    moto's (REST protocols, unknown services; a JSON service's query-shaped request, `json_request` False)."""
    model = service_model(signing_name)
    if model is None:
        return None
    if model.protocol == "json":
        return f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}" if json_request else None
    return "text/xml" if model.protocol in ("query", "ec2") else None


def with_content_type(reply: Reply, signing_name: str, protocol: str, json_request: bool) -> Reply:
    """`reply` with the Content-Type its protocol requires (see the module docstring)."""
    status_line, headers, body = reply
    current = next((value for name, value in headers if name.lower() == "content-type"), "")
    wanted = content_type(signing_name, json_request)
    if wanted is None and protocol == "rest-json" and (not current or current.startswith(HTML)) and body:
        wanted = "application/json"
    if wanted is None or wanted == current:
        return reply
    return status_line, [(n, v) for n, v in headers if n.lower() != "content-type"] + [("Content-Type", wanted)], body


def is_unrouted(reply: Reply) -> bool:
    """True for moto's HTML 404 or 405: its router found no route for the request."""
    status_line, headers, _ = reply
    html = any(n.lower() == "content-type" and v.startswith(HTML) for n, v in headers)
    return html and status_line.split()[0] in ("404", "405")


def unknown_operation(protocol: str, operation: str, query_compatible: bool = False) -> Reply:
    """The error AWS answers a request for an operation the service does not serve, in `protocol`'s shape."""
    code, status_line = _UNKNOWN.get(protocol, _UNKNOWN["json"])
    message = INVALID_ACTION_MESSAGE if code == "InvalidAction" else f"The orgnb sandbox does not serve {operation}."
    return aws_error(protocol, status_line, code, message, str(uuid.uuid4()), code if query_compatible else None)


def internal_failure(protocol: str, error: Exception) -> Reply:
    """The 500 InternalFailure AWS answers when processing fails, naming the sandbox's exception."""
    message = f"The request processing has failed because of an unknown error, exception or failure ({type(error).__name__}: {error})."
    return aws_error(protocol, "500 Internal Server Error", "InternalFailure", message, str(uuid.uuid4()))
