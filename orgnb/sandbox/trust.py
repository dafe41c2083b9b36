"""STS AssumeRole honours the role: the role must exist in its account and its trust policy must allow the caller.

Sources: STS API reference, AssumeRole (the role's trust policy must name the caller; cross-account callers also need
their own permission); IAM User Guide, "IAM JSON policy elements: Principal": an account id or
`arn:aws:iam::ACCOUNT:root` stands for every principal of that account, an IAM user or role ARN for that principal
(a role's ARN matches its sessions, as in role chaining), `{"AWS": "*"}` for anyone; Service and Federated principals
are AWS services and identity providers, never a sandbox caller. Explicit Deny statements win; conditions are
evaluated by policyeval, with sts:ExternalId from the request's ExternalId. A trust policy using what policyeval
cannot evaluate refuses, saying so; so do a role or an account that does not exist, with AWS's usual message.

Not evaluated: the caller's identity-based policies, permissions boundaries and session policies (moto keeps
policies, but the sandbox grants every principal what it asks of its own account). SCPs over the caller's account
do apply to sts:AssumeRole, before this check (see authz).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from moto.iam.models import iam_backends
from moto.sts.responses import TokenResponse

from orgnb.aws import policyeval
from orgnb.aws.policyeval import Effect, Request
from orgnb.sandbox import iam_api, principals
from orgnb.sandbox.exceptions import QueryError
from orgnb.sandbox.principals import Principal

ACTION = "sts:AssumeRole"
_ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::(?P<account>\d{12}):role/.+$")


def role_of(role_arn: str) -> Any:
    """moto's role named by `role_arn` (path included), or None when it or its account does not exist."""
    match = _ROLE_ARN.match(role_arn)
    if match is None or match["account"] not in iam_backends:
        return None
    return next((r for r in iam_backends[match["account"]]["aws"].roles.values() if r.arn == role_arn), None)


def refusal(caller: Principal, role_arn: str, external_id: str | None, region: str | None) -> str | None:
    """AccessDenied's message when `caller` may not assume `role_arn`, else None."""
    denied = f"User: {caller.arn} is not authorized to perform: {ACTION} on resource: {role_arn}"
    role = role_of(role_arn)
    if role is None:
        return denied
    document = role.assume_role_policy_document
    problems = policyeval.unsupported(document, principal=True)
    if problems:
        return f"{denied} (the orgnb sandbox cannot evaluate the role's trust policy: it uses {'; '.join(problems)})"
    context = principals.context(caller, region) | ({"sts:externalid": external_id} if external_id else {})
    request = Request(ACTION, role.arn, context, caller.identifiers)
    return None if policyeval.evaluate(policyeval.parse(document), request) is Effect.ALLOW else denied


def _assume_role(original: Callable[[TokenResponse], Any]) -> Callable[[TokenResponse], Any]:
    def assume_role(self: TokenResponse) -> Any:
        role_arn = self._get_param("RoleArn") or ""
        caller = principals.of_key(self.get_access_key())
        if caller is None:
            message: str | None = f"User: {iam_api.caller_arn(self)} is not authorized to perform: {ACTION} on resource: {role_arn}"
        else:
            message = refusal(caller, role_arn, self._get_param("ExternalId"), self.region)
        if message is not None:
            return iam_api.reply_error(self, QueryError("AccessDenied", message))
        return original(self)

    return assume_role


def install() -> None:
    """Wrap moto's AssumeRole with the trust check."""
    TokenResponse.assume_role = _assume_role(TokenResponse.assume_role)  # type: ignore[method-assign,assignment]
