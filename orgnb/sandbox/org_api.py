"""The Organizations wire: handshake and membership operations moto lacks, and fixes to ones it has.

- New operations: InviteAccountToOrganization, AcceptHandshake, DeclineHandshake, CancelHandshake,
  DescribeHandshake, ListHandshakesForOrganization, ListHandshakesForAccount, LeaveOrganization, EnableAllFeatures.
- Paged as AWS pages (see paging): at most 20 items a page, MaxResults above 20 refused, on every List operation.
- Fixed: members calling management-only operations get AccessDenied (moto answers AWSOrganizationsNotInUse);
  DeleteOrganization refuses while any member is left (moto compares names) and cancels pending invitations;
  RemoveAccountFromOrganization applies the leave preconditions; iam.amazonaws.com and account.amazonaws.com are
  accepted for trusted access and delegated administration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.organizations.models import FakeDelegatedAdministrator, FakeServiceAccess, organizations_backends
from moto.organizations.responses import OrganizationsResponse

from orgnb.sandbox import allfeatures, handshake, handshakes, membership, paging, principals
from orgnb.sandbox.exceptions import AccountNotFound, MasterCannotLeave, OrgAccessDenied, OrgInvalidInput

# Read operations a delegated administrator may call; every other listed operation is the management account's.
_DELEGATED_READS = {
    "describe_account",
    "list_accounts",
    "list_accounts_for_parent",
    "list_organizational_units_for_parent",
    "list_children",
    "list_roots",
    "list_aws_service_access_for_organization",
    "list_delegated_administrators",
    "list_create_account_status",
    "describe_create_account_status",
    "list_policies",
    "list_targets_for_policy",
}
_MANAGEMENT_ONLY = _DELEGATED_READS | {
    "create_account",
    "create_organizational_unit",
    "delete_organizational_unit",
    "move_account",
    "enable_aws_service_access",
    "disable_aws_service_access",
    "register_delegated_administrator",
    "deregister_delegated_administrator",
    "create_policy",
    "attach_policy",
    "detach_policy",
    "enable_policy_type",
    "disable_policy_type",
    "close_account",
}


def _filter(params: dict[str, Any]) -> tuple[str | None, str | None]:
    flt = params.get("Filter") or {}
    if flt.get("ActionType") and flt.get("ParentHandshakeId"):
        raise OrgInvalidInput("MAX_LIMIT_EXCEEDED_FILTER", "Specify either ActionType or ParentHandshakeId, not both.")
    return flt.get("ActionType"), flt.get("ParentHandshakeId")


def invite_account_to_organization(self: OrganizationsResponse) -> ActionResult:
    """InviteAccountToOrganization."""
    p = self.request_params
    h = handshakes.invite(self.current_account, p.get("Target") or {}, p.get("Notes"), p.get("Tags") or [])
    return ActionResult({"Handshake": h.describe()})


def accept_handshake(self: OrganizationsResponse) -> ActionResult:
    """AcceptHandshake."""
    principal = principals.of_key(self.get_access_key())
    return ActionResult(
        {"Handshake": handshakes.accept(self.request_params.get("HandshakeId", ""), self.current_account, principal).describe()}
    )


def decline_handshake(self: OrganizationsResponse) -> ActionResult:
    """DeclineHandshake."""
    return ActionResult({"Handshake": handshakes.decline(self.request_params.get("HandshakeId", ""), self.current_account).describe()})


def cancel_handshake(self: OrganizationsResponse) -> ActionResult:
    """CancelHandshake."""
    return ActionResult({"Handshake": handshakes.cancel(self.request_params.get("HandshakeId", ""), self.current_account).describe()})


def describe_handshake(self: OrganizationsResponse) -> ActionResult:
    """DescribeHandshake."""
    return ActionResult({"Handshake": handshake.find(self.request_params.get("HandshakeId", ""), self.current_account).describe()})


def _list(self: OrganizationsResponse, organization: bool) -> ActionResult:
    action, parent = _filter(self.request_params)
    found = handshakes.list_for(self.current_account, organization, action, parent)
    return ActionResult(paging.page([h.describe() for h in found], self.request_params, "Handshakes"))


def list_handshakes_for_organization(self: OrganizationsResponse) -> ActionResult:
    """ListHandshakesForOrganization."""
    return _list(self, organization=True)


def list_handshakes_for_account(self: OrganizationsResponse) -> ActionResult:
    """ListHandshakesForAccount."""
    return _list(self, organization=False)


def leave_organization(self: OrganizationsResponse) -> EmptyResult:
    """LeaveOrganization."""
    handshakes.leave(self.current_account)
    return EmptyResult()


def enable_all_features(self: OrganizationsResponse) -> ActionResult:
    """EnableAllFeatures."""
    return ActionResult({"Handshake": allfeatures.enable_all_features(self.current_account).describe()})


def delete_organization(self: OrganizationsResponse) -> EmptyResult:
    """DeleteOrganization."""
    handshakes.delete_organization(self.current_account)
    return EmptyResult()


def remove_account_from_organization(self: OrganizationsResponse) -> EmptyResult:
    """RemoveAccountFromOrganization."""
    backend = membership.management_backend(self.current_account)
    account_id = self.request_params.get("AccountId", "")
    if account_id == self.current_account:
        raise MasterCannotLeave()
    if account_id not in {a.id for a in backend.accounts}:
        raise AccountNotFound()
    handshakes.remove_member(backend, account_id)
    return EmptyResult()


def _management_only(name: str, original: Callable[[OrganizationsResponse], Any]) -> Callable[[OrganizationsResponse], Any]:
    def handler(self: OrganizationsResponse) -> Any:
        caller = self.current_account
        membership = organizations_backends.master_accounts.get(caller)
        if membership is not None:
            backend = organizations_backends[membership[0]]["aws"]
            admin = any(a.account.id == caller for a in backend.admins)
            if not (admin and name in _DELEGATED_READS):
                raise OrgAccessDenied()
            self.current_account = membership[0]  # moto keeps the organization in the management account's backend
        return original(self)

    handler.__name__ = name
    return handler


NEW_HANDLERS = {
    fn.__name__: fn
    for fn in (
        invite_account_to_organization,
        accept_handshake,
        decline_handshake,
        cancel_handshake,
        describe_handshake,
        list_handshakes_for_organization,
        list_handshakes_for_account,
        leave_organization,
        enable_all_features,
        delete_organization,
        remove_account_from_organization,
    )
}


def install() -> None:
    """Register the handlers and the fixes."""
    paging.install()
    for name in sorted(_MANAGEMENT_ONLY):
        setattr(OrganizationsResponse, name, _management_only(name, getattr(OrganizationsResponse, name)))
    for name, fn in NEW_HANDLERS.items():
        setattr(OrganizationsResponse, name, fn)
    for principal in ("iam.amazonaws.com", "account.amazonaws.com"):
        if principal not in FakeServiceAccess.TRUSTED_SERVICES:
            FakeServiceAccess.TRUSTED_SERVICES.append(principal)
        if principal not in FakeDelegatedAdministrator.SUPPORTED_SERVICES:
            FakeDelegatedAdministrator.SUPPORTED_SERVICES.append(principal)
