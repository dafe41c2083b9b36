"""Service control policies, enforced as AWS enforces them on every principal of a member account.

Sources: Organizations User Guide, "Service control policies (SCPs)" and "SCP evaluation": SCPs apply to the IAM
users and roles and to the root user of member accounts, never to the management account nor to service-linked
roles, and only in an organization with all features whose root has the SERVICE_CONTROL_POLICY type enabled; an
explicit Deny in any SCP on the account's path (the root, each OU from the top down, the account) refuses, and so
does a level of the path where no attached SCP allows the action. STS API reference, GetCallerIdentity: "No
permissions are required to perform this operation", even under an explicit deny, so it is never refused here.

The rule itself is `orgnb.aws.policyeval.scp_refusal`, shared with the kit's guardrails preview. `refusal` decides
whether SCPs apply and words AWS's answer; the server calls it for every request (see authz), and `denial` answers
the same question for code that has no request in hand. A document the evaluator cannot evaluate never gets attached: see
`check_evaluable`, which AttachPolicy and UpdatePolicy run (installed by `install`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from moto.organizations.models import OrganizationsBackend, organizations_backends

from orgnb.aws import policyeval
from orgnb.aws.policyeval import Request, Value
from orgnb.sandbox import policyrules, principals, registry
from orgnb.sandbox.exceptions import PolicyNotEvaluable
from orgnb.sandbox.policyrules import SCP_TYPE
from orgnb.sandbox.principals import Principal


def in_scope(account_id: str) -> bool:
    """True when SCPs could apply to `account_id`: it is a member (not the management account) of an organization."""
    return account_id in organizations_backends.master_accounts


def _enabled(backend: OrganizationsBackend) -> bool:
    return backend.org is not None and backend.org.feature_set == "ALL" and SCP_TYPE in policyrules.enabled_types(backend)


def _document(content: str) -> Mapping[str, Any]:
    try:
        return policyeval.parse(content)
    except ValueError:  # never attached (check_evaluable); a bulk-seeded oddity denies rather than passes
        return policyeval.DENY_ALL


def levels(account_id: str) -> list[list[tuple[str, Mapping[str, Any]]]] | None:
    """The SCPs (name, document) attached at each level of the member's path (root first, the account last), or None
    when SCPs do not apply to the account."""
    if not in_scope(account_id):
        return None
    backend = organizations_backends[organizations_backends.master_accounts[account_id][0]]["aws"]
    account = next((a for a in backend.accounts if a.id == account_id), None)
    if account is None or not _enabled(backend):
        return None
    nodes = [*registry.containers(backend, account), account]
    return [[(p.name, _document(p.content)) for p in node.attached_policies if p.type == SCP_TYPE] for node in nodes]


def refusal(principal: Principal, action: str, resource: str | None, context: Mapping[str, Value], caller: str | None = None) -> str | None:
    """AccessDenied's message when the SCPs over `principal`'s account refuse `action`, else None (the rule is
    `policyeval.scp_refusal`, which the kit's guardrails preview applies too).

    `resource` None: the sandbox cannot name the request's resource (policyeval explains how statements then match).
    `caller`: the ARN the message names when it is not the principal judged (AssumeRoot's caller).
    """
    if principal.service_linked or action in policyeval.SCP_EXEMPT_ACTIONS:
        return None
    path = levels(principal.account_id)
    if path is None:
        return None
    refused = policyeval.scp_refusal(path, Request(action, resource, context))
    if refused is None:
        return None
    prefix = f"User: {caller or principal.arn} is not authorized to perform: {action} on resource: {resource or '*'}"
    if refused.explicit:
        return f"{prefix} with an explicit deny in a service control policy"
    return f"{prefix} because no service control policy allows the {action} action"


def denial(account_id: str, principal_arn: str, action: str) -> str | None:
    """Would the SCPs of `account_id`'s organization deny `action` to the principal `principal_arn`? The AccessDenied
    message if so, else None (the resource is taken as unnamed, the region as absent)."""
    principal = principals.from_arn(account_id, principal_arn)
    return refusal(principal, action, None, principals.context(principal, None))


def check_evaluable(content: str) -> None:
    """Refuse an SCP document that uses what the sandbox cannot evaluate, naming it.

    InvalidInputException is modeled for both AttachPolicy and UpdatePolicy (MalformedPolicyDocumentException is not
    modeled for AttachPolicy); its Reason INVALID_RESOURCE_POLICY_JSON is the modeled reason closest to "this policy
    document cannot be taken". AWS itself would accept the document: the refusal is the sandbox's, and says so.
    """
    problems = policyeval.unsupported(content)
    if problems:
        raise PolicyNotEvaluable(problems)


def _checked_attach(original: Callable[..., Any]) -> Callable[..., Any]:
    def attach_policy(self: OrganizationsBackend, **kwargs: Any) -> Any:
        policy = self.get_policy_by_id(kwargs["PolicyId"])
        if policy.type == SCP_TYPE:
            assert policy.content is not None, "CreatePolicy's Content is required (botocore's model)"
            check_evaluable(policy.content)
        return original(self, **kwargs)

    return attach_policy


def _checked_update(original: Callable[..., Any]) -> Callable[..., Any]:
    def update_policy(self: OrganizationsBackend, **kwargs: Any) -> Any:
        policy = self.get_policy_by_id(kwargs["PolicyId"])
        if policy.type == SCP_TYPE and policy.attachments and kwargs.get("Content") is not None:
            check_evaluable(kwargs["Content"])
        return original(self, **kwargs)

    return update_policy


def install() -> None:
    """AttachPolicy and UpdatePolicy refuse SCPs the sandbox cannot evaluate."""
    OrganizationsBackend.attach_policy = _checked_attach(OrganizationsBackend.attach_policy)  # type: ignore[method-assign]
    OrganizationsBackend.update_policy = _checked_update(OrganizationsBackend.update_policy)  # type: ignore[method-assign]
