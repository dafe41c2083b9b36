"""A request in IAM's terms, for the server's authorization check: its action, its resource and its condition keys.

The action is `<IAM prefix>:<Operation>`; the IAM prefix is the SigV4 signing name except for the few services in
`IAM_PREFIXES` (Service Authorization Reference, each service's "service prefix"), and a few operations (mostly
S3's) are authorized as an action of another name (`ACTION_NAMES`). The resource ARN is derived where
a request names it plainly (IAM RoleName / UserName / PolicyArn, STS RoleArn / TargetPrincipal, the S3 bucket or
object of the path, a KMS KeyId, a DynamoDB TableName); elsewhere the sandbox cannot name it, and policyeval then
lets a specific Resource count for Deny statements and not for Allow ones (it errs towards refusing).

A refusal is AccessDenied in the service's protocol with HTTP 403: AccessDeniedException for JSON and REST-JSON
services (organizations, account, kms...), AccessDenied for query and REST-XML services (iam, sts, s3),
UnauthorizedOperation for EC2.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote

from orgnb.sandbox import principals, scp
from orgnb.sandbox.principals import Kind, Principal

IAM_PREFIXES = {"monitoring": "cloudwatch", "email": "ses", "tagging": "tag"}
# Operations whose IAM action has another name (Service Authorization Reference, the S3 and Lambda pages).
ACTION_NAMES = {
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:ListObjects": "s3:ListBucket",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:HeadBucket": "s3:ListBucket",
    "s3:HeadObject": "s3:GetObject",
    "s3:DeleteObjects": "s3:DeleteObject",
    "s3:ListObjectVersions": "s3:ListBucketVersions",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "lambda:Invoke": "lambda:InvokeFunction",
}
_KEY_ID = re.compile(r"^(?:mrk-)?[0-9a-f-]{32,36}$")
Params = dict[str, Any]


def action_of(service: str, operation: str) -> str:
    """The IAM action a request asks for: `<IAM prefix>:<Operation>`, or the action's own name where it differs."""
    action = f"{IAM_PREFIXES.get(service, service)}:{operation}"
    return ACTION_NAMES.get(action, action)


def request_params(content_type: str, body: bytes) -> Params:
    """The request's parameters from its JSON or form body (first value of each form field)."""
    if not body:
        return {}
    text = body.decode("utf-8", "replace")
    if "x-www-form-urlencoded" in content_type:
        return {name: values[0] for name, values in parse_qs(text).items()}
    if "json" in content_type:
        try:
            found = json.loads(text)
        except ValueError:
            return {}
        return found if isinstance(found, dict) else {}
    return {}


def _iam(params: Params, path: str, principal: Principal, region: str) -> str | None:
    account = principal.account_id
    where = params.get("Path") or "/"  # CreateRole / CreateUser name the path the new one will have
    if params.get("RoleName"):
        role = principals.iam_role(account, params["RoleName"])
        return role.arn if role else f"arn:aws:iam::{account}:role{where}{params['RoleName']}"
    if params.get("UserName"):
        return principals.from_arn(account, f"arn:aws:iam::{account}:user{where}{params['UserName']}").arn
    if params.get("PolicyArn"):
        return str(params["PolicyArn"])
    return principal.arn if principal.kind is Kind.ROOT else None  # a root session acts on the root user


def _sts(params: Params, path: str, principal: Principal, region: str) -> str | None:
    if params.get("RoleArn"):
        return str(params["RoleArn"])
    target = str(params.get("TargetPrincipal") or "")
    return f"arn:aws:iam::{target}:root" if re.fullmatch(r"\d{12}", target) else (target or None)


def _s3(params: Params, path: str, principal: Principal, region: str) -> str | None:
    name = unquote(path.lstrip("/"))
    return f"arn:aws:s3:::{name}" if name else None


def _kms(params: Params, path: str, principal: Principal, region: str) -> str | None:
    key = str(params.get("KeyId") or "")
    if key.startswith("arn:"):
        return key
    return f"arn:aws:kms:{region}:{principal.account_id}:key/{key}" if _KEY_ID.match(key) else None


def _dynamodb(params: Params, path: str, principal: Principal, region: str) -> str | None:
    table = params.get("TableName")
    return f"arn:aws:dynamodb:{region}:{principal.account_id}:table/{table}" if table else None


_RESOURCES: dict[str, Callable[[Params, str, Principal, str], str | None]] = {
    "iam": _iam,
    "sts": _sts,
    "s3": _s3,
    "kms": _kms,
    "dynamodb": _dynamodb,
}


def refusal(principal: Principal, service: str, operation: str, region: str, path: str, content_type: str, body: bytes) -> str | None:
    """AccessDenied's message when the SCPs over the caller's account refuse the request, else None."""
    if not scp.in_scope(principal.account_id):  # standalone and management accounts: nothing to read
        return None
    params = request_params(content_type, body)
    resolve = _RESOURCES.get(service)
    resource = resolve(params, path, principal, region) if resolve else None
    context = principals.context(principal, region)
    if params.get("ExternalId"):
        context["sts:externalid"] = str(params["ExternalId"])
    return scp.refusal(principal, action_of(service, operation), resource, context)
