"""Organizations policy rules moto does not enforce: attaching a policy, and the EC2 declarative policy type.

AttachPolicy, after moto finds the policy and before it attaches (botocore's AttachPolicy errors, in this order,
which AWS does not document):
- PolicyTypeNotEnabledException when the policy's type is not enabled on the organization's root ("You can't
  attach policies of the specified type to entities in a root until you enable that type in the root");
- DuplicatePolicyAttachmentException when the policy is already attached to the target (moto ignores it);
- ConstraintViolationException POLICY_NUMBER_LIMIT_EXCEEDED when the target already has as many policies of that
  type as AWS allows on a root, an OU or an account: 5 SCPs, 5 RCPs, 5 AI services opt-out policies, 10 tag and 10
  backup policies ("Quotas and service limits for AWS Organizations", which gives no figure for EC2 declarative
  policies: not limited here; the kit checks the same figures in orgnb.phases.guardrails.limits before writing).

DetachPolicy, likewise: PolicyNotAttachedException when the policy is not attached to the target (moto ignores it),
and ConstraintViolationException MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED when it is the target's last SCP while
SCPs are enabled (DetachPolicy's reference: "Every root, OU, and account must have at least one SCP attached").

AWS's own default policies follow their type (Organizations User Guide, "Enabling and disabling policy types", and
CreateOrganization's reference: an organization with all features is created "with service control policies
automatically enabled in the root"): FullAWSAccess and RCPFullAWSAccess are attached to the root, every OU and every
account when their type is enabled, and to each new OU and account only while it is; disabling a type detaches
every policy of that type. moto attaches both defaults everywhere from the start and enables nothing; here
CreateOrganization (all features) enables SCPs, and moto's default attachments happen only for enabled types.

DECLARATIVE_POLICY_EC2 is in botocore's PolicyType enum and moto lacks it: CreatePolicy and EnablePolicyType accept
it here, with the ARN form of its siblings (`policy/<org>/declarative_policy_ec2/<id>`). Its content must be a JSON
object whose only top-level key is `ec2_attributes` (Organizations User Guide, "Declarative policy syntax and
examples"); anything else is MalformedPolicyDocumentException at CreatePolicy and UpdatePolicy, as AWS refuses a
management policy that does not follow its type's syntax. The attributes themselves are stored, not enforced.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.organizations import utils
from moto.organizations.models import FakePolicy, FakeRoot, OrganizationsBackend, organizations_backends
from moto.organizations.responses import OrganizationsResponse

from orgnb.sandbox.exceptions import (
    DuplicatePolicyAttachment,
    MalformedPolicyDocument,
    OrgConstraintViolation,
    PolicyNotAttached,
    PolicyTypeNotEnabled,
)

DECLARATIVE_EC2 = "DECLARATIVE_POLICY_EC2"
DECLARATIVE_TOP_KEY = "ec2_attributes"
_DECLARATIVE_ARN = "arn:{0}:organizations::{1}:policy/{2}/declarative_policy_ec2/{3}"
SCP_TYPE = "SERVICE_CONTROL_POLICY"
ATTACHMENTS_PER_TARGET = {SCP_TYPE: 5, "RESOURCE_CONTROL_POLICY": 5, "AISERVICES_OPT_OUT_POLICY": 5, "TAG_POLICY": 10, "BACKUP_POLICY": 10}
Handler = Callable[[OrganizationsResponse], Any]
DEFAULT_POLICIES = {SCP_TYPE: utils.DEFAULT_SCP_POLICY_ID, "RESOURCE_CONTROL_POLICY": utils.DEFAULT_RCP_POLICY_ID}


def enabled_types(backend: OrganizationsBackend) -> set[str]:
    """The policy types enabled on the organization's root."""
    root = next((ou for ou in backend.ou if isinstance(ou, FakeRoot)), None)
    return {t["Type"] for t in root.policy_types if t.get("Status") == "ENABLED"} if root else set()


def _nodes(backend: OrganizationsBackend) -> list[Any]:
    return [*backend.ou, *backend.accounts]


def attach_default(backend: OrganizationsBackend, policy_type: str) -> None:
    """Attach AWS's default policy of `policy_type` to the root, every OU and every account, as enabling it does."""
    policy_id = DEFAULT_POLICIES.get(policy_type)
    policy = next((p for p in backend.policies if p.id == policy_id), None)
    if policy is None:
        return
    for node in _nodes(backend):
        if policy not in node.attached_policies:
            node.attached_policies.append(policy)
            policy.attachments.append(node)


def detach_type(backend: OrganizationsBackend, policy_type: str) -> None:
    """Detach every policy of `policy_type` from every target, as disabling the type does."""
    for node in _nodes(backend):
        for policy in [p for p in node.attached_policies if p.type == policy_type]:
            node.attached_policies.remove(policy)
            policy.attachments.remove(node)


def _target(backend: OrganizationsBackend, target_id: str) -> Any:
    return next((node for node in _nodes(backend) if node.id == target_id), None)


def check_attach(backend: OrganizationsBackend, policy_id: str, target_id: str) -> None:
    """AttachPolicy's refusals, in the module docstring's order (an unknown policy or target is moto's to refuse)."""
    policy = next((p for p in backend.policies if p.id == policy_id), None)
    target = _target(backend, target_id)
    if policy is None or target is None:
        return
    if policy.type not in enabled_types(backend):
        raise PolicyTypeNotEnabled()
    if policy in target.attached_policies:
        raise DuplicatePolicyAttachment()
    limit = ATTACHMENTS_PER_TARGET.get(policy.type)
    if limit is not None and sum(1 for p in target.attached_policies if p.type == policy.type) >= limit:
        raise OrgConstraintViolation(
            "POLICY_NUMBER_LIMIT_EXCEEDED", f"The target already has {limit} policies of type {policy.type} attached, the most allowed."
        )


def check_detach(backend: OrganizationsBackend, policy_id: str, target_id: str) -> None:
    """DetachPolicy's refusals, in the module docstring's order (an unknown policy or target is moto's to refuse)."""
    policy = next((p for p in backend.policies if p.id == policy_id), None)
    target = _target(backend, target_id)
    if policy is None or target is None:
        return
    if policy not in target.attached_policies:
        raise PolicyNotAttached()
    if policy.type == SCP_TYPE and SCP_TYPE in enabled_types(backend):
        if sum(1 for p in target.attached_policies if p.type == SCP_TYPE) <= 1:
            raise OrgConstraintViolation(
                "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED", "Every root, OU and account must have at least one SCP attached."
            )


def check_content(policy_type: str, content: str) -> None:
    """Refuse a declarative policy whose content does not follow its type's syntax."""
    if policy_type != DECLARATIVE_EC2:
        return
    try:
        document = json.loads(content)
    except ValueError:
        raise MalformedPolicyDocument() from None
    if not isinstance(document, dict) or set(document) != {DECLARATIVE_TOP_KEY}:
        raise MalformedPolicyDocument()


def _backend(response: OrganizationsResponse) -> OrganizationsBackend:
    return organizations_backends[response.current_account]["aws"]


def _targeted(check: Callable[[OrganizationsBackend, str, str], None]) -> Callable[[Handler], Handler]:
    """Wrap a handler naming a policy and a target (AttachPolicy, DetachPolicy) with `check`."""

    def wrap(original: Handler) -> Handler:
        def handler(self: OrganizationsResponse) -> Any:
            backend = _backend(self)
            if backend.org is not None:
                check(backend, self.request_params.get("PolicyId", ""), self.request_params.get("TargetId", ""))
            return original(self)

        return handler

    return wrap


def _create(original: Callable[[OrganizationsResponse], Any]) -> Callable[[OrganizationsResponse], Any]:
    def create_policy(self: OrganizationsResponse) -> Any:
        check_content(self.request_params.get("Type", ""), self.request_params.get("Content", ""))
        return original(self)

    return create_policy


def _update(original: Callable[[OrganizationsResponse], Any]) -> Callable[[OrganizationsResponse], Any]:
    def update_policy(self: OrganizationsResponse) -> Any:
        content = self.request_params.get("Content")
        policy = next((p for p in _backend(self).policies if p.id == self.request_params.get("PolicyId")), None)
        if content is not None and policy is not None:
            check_content(policy.type, content)
        return original(self)

    return update_policy


def _backend_attach(original: Callable[..., None]) -> Callable[..., None]:
    """moto's own attachments of the defaults (new organization, OU or account) happen only for enabled types."""

    def attach_policy(self: OrganizationsBackend, **kwargs: Any) -> None:
        policy = next((p for p in self.policies if p.id == kwargs.get("PolicyId")), None)
        if policy is not None and policy.aws_managed and policy.type not in enabled_types(self):
            return
        original(self, **kwargs)

    return attach_policy


def _create_organization(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_organization(self: OrganizationsBackend, region: str, **kwargs: Any) -> Any:
        original(self, region, **kwargs)
        if self.org is not None and self.org.feature_set == "ALL":
            root = next(ou for ou in self.ou if isinstance(ou, FakeRoot))
            root.add_policy_type(SCP_TYPE)
            attach_default(self, SCP_TYPE)
        return self.org.describe() if self.org is not None else {}

    return create_organization


def _type_change(original: Callable[..., Any], enable: bool) -> Callable[..., Any]:
    def change(self: OrganizationsBackend, **kwargs: Any) -> Any:
        result = original(self, **kwargs)
        (attach_default if enable else detach_type)(self, kwargs.get("PolicyType", ""))
        return result

    return change


def _policy_init(original: Callable[..., None]) -> Callable[..., None]:
    def init(self: FakePolicy, organization: Any, **kwargs: Any) -> None:
        if kwargs.get("Type") != DECLARATIVE_EC2:
            original(self, organization, **kwargs)
            return
        original(self, organization, **{**kwargs, "Type": "TAG_POLICY"})  # moto builds the rest as for its sibling
        self.type = DECLARATIVE_EC2
        self._arn_format = _DECLARATIVE_ARN

    return init


def install() -> None:
    """Wrap the handlers (inside org_api's caller checks: install this first) and add the declarative type."""
    for kind in (FakeRoot, FakePolicy):
        if DECLARATIVE_EC2 not in kind.SUPPORTED_POLICY_TYPES:
            kind.SUPPORTED_POLICY_TYPES.append(DECLARATIVE_EC2)
    FakePolicy.__init__ = _policy_init(FakePolicy.__init__)  # type: ignore[method-assign]
    OrganizationsBackend.attach_policy = _backend_attach(OrganizationsBackend.attach_policy)  # type: ignore[method-assign]
    OrganizationsBackend.create_organization = _create_organization(OrganizationsBackend.create_organization)  # type: ignore[method-assign]
    OrganizationsBackend.enable_policy_type = _type_change(OrganizationsBackend.enable_policy_type, enable=True)  # type: ignore[method-assign]
    OrganizationsBackend.disable_policy_type = _type_change(OrganizationsBackend.disable_policy_type, enable=False)  # type: ignore[method-assign]
    wraps = {
        "attach_policy": _targeted(check_attach),
        "detach_policy": _targeted(check_detach),
        "create_policy": _create,
        "update_policy": _update,
    }
    for name, wrap in wraps.items():
        setattr(OrganizationsResponse, name, wrap(getattr(OrganizationsResponse, name)))
