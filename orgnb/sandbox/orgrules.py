"""Organization rules moto does not enforce: what needs all features, who may be a delegated administrator, and
where MoveAccount may move an account from and to.

State and rules only: `install` wraps moto's backend methods, so the checks run after org_api's caller checks (a
member calling gets AccessDenied first) and before moto acts.

All features. botocore's ConstraintViolationException reason ORGANIZATION_NOT_IN_ALL_FEATURES_MODE: "You attempted to
perform an operation that requires the organization to be configured to support all features. An organization that
supports only consolidated billing features can't perform this operation." A consolidated-billing organization is
refused, with that reason:
- EnableAWSServiceAccess ("This operation can be called only from the organization's management account and only
  if the organization has enabled all features": its API reference);
- RegisterDelegatedAdministrator (delegation needs trusted access, which needs all features);
- CloseAccount (its API reference: "You can close an account when all features are enabled");
and EnablePolicyType with PolicyTypeNotAvailableForOrganizationException (botocore: "You can't use the specified
policy type with the feature set currently enabled for this organization. For example, you can enable SCPs only
after you enable all features in the organization").

RegisterDelegatedAdministrator, after all features, in this order (AWS does not document its order): the management
account (CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR), an unknown account (AccountNotFoundException), a
service that does not support delegation (InvalidInputException UNRECOGNIZED_SERVICE_PRINCIPAL), a service without trusted access
(SERVICE_ACCESS_NOT_ENABLED: "You attempted to register a delegated administrator before you enabled service access.
Call the EnableAWSServiceAccess API first."), the same account again (moto's AccountAlreadyRegisteredException),
and a second administrator for a service that allows one (DELEGATED_ADMINISTRATOR_EXISTS_FOR_THIS_SERVICE: "...a
service that already has a delegated administrator... you must first deregister any existing delegated
administrators for this service"). Setting (registered with state; the admin route POST /orgnb-api/settings
changes it):
- `single_administrator_services` (account.amazonaws.com): the services that allow one delegated administrator. The
  Account Management reference ("Enable a delegated admin account for AWS Account Management") allows one; other
  services decide for themselves, each in its own guide, and are not gathered here.

MoveAccount, after its account is found (botocore's MoveAccount errors): SourceParentNotFoundException when
SourceParentId is not the account's parent, or does not exist; DestinationParentNotFoundException when the
destination does not exist; DuplicateAccountException when the account is already there ("That account is already
present in the specified destination.").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.organizations.models import FakeDelegatedAdministrator, OrganizationsBackend

from orgnb.sandbox import state
from orgnb.sandbox.exceptions import (
    DestinationParentNotFound,
    DuplicateAccount,
    OrgConstraintViolation,
    OrgInvalidInput,
    PolicyTypeNotAvailable,
    SourceParentNotFound,
)

SETTINGS = state.settings(
    {"single_administrator_services": ("account.amazonaws.com",)},
    single_administrator_services=state.Field("single_administrator_services", tuple, list),
)
Check = Callable[[OrganizationsBackend, dict[str, Any]], None]


def require_all_features(backend: OrganizationsBackend, params: dict[str, Any]) -> None:
    """Refuse an operation a consolidated-billing organization cannot perform."""
    if backend.org.feature_set != "ALL":
        raise OrgConstraintViolation(
            "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE", "This operation needs an organization with all features enabled."
        )


def check_policy_type(backend: OrganizationsBackend, params: dict[str, Any]) -> None:
    """EnablePolicyType: no policy type is available before all features are."""
    if backend.org.feature_set != "ALL":
        raise PolicyTypeNotAvailable()


def _trusted(backend: OrganizationsBackend, principal: str) -> bool:
    return any(s.get("ServicePrincipal") == principal for s in backend.services)


def check_delegated_administrator(backend: OrganizationsBackend, params: dict[str, Any]) -> None:
    """RegisterDelegatedAdministrator's refusals, in the module docstring's order."""
    require_all_features(backend, params)
    account_id, principal = params.get("AccountId", ""), params.get("ServicePrincipal", "")
    if account_id == backend.org.master_account_id:
        raise OrgConstraintViolation(
            "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR", "You can designate only a member account as a delegated administrator."
        )
    backend.get_account_by_id(account_id)
    if not FakeDelegatedAdministrator.supported_service(principal):
        raise OrgInvalidInput("UNRECOGNIZED_SERVICE_PRINCIPAL", "You specified an unrecognized service principal.")
    if not _trusted(backend, principal):
        raise OrgConstraintViolation("SERVICE_ACCESS_NOT_ENABLED", "Enable trusted access for the service first (EnableAWSServiceAccess).")
    others = [a for a in backend.admins if principal in a.services and a.account.id != account_id]
    if others and principal in SETTINGS["single_administrator_services"]:
        raise OrgConstraintViolation(
            "DELEGATED_ADMINISTRATOR_EXISTS_FOR_THIS_SERVICE",
            f"{principal} already has a delegated administrator ({others[0].account.id}): deregister it first.",
        )


def check_move(backend: OrganizationsBackend, params: dict[str, Any]) -> None:
    """MoveAccount: the source must be the account's parent, the destination must exist and be another parent."""
    account = backend.get_account_by_id(params.get("AccountId", ""))
    if params.get("SourceParentId") != account.parent_id:
        raise SourceParentNotFound()
    destination = params.get("DestinationParentId")
    if not any(ou.id == destination for ou in backend.ou):
        raise DestinationParentNotFound()
    if destination == account.parent_id:
        raise DuplicateAccount()


CHECKS: dict[str, Check] = {
    "enable_aws_service_access": require_all_features,
    "close_account": require_all_features,
    "enable_policy_type": check_policy_type,
    "register_delegated_administrator": check_delegated_administrator,
    "move_account": check_move,
}


def _checked(check: Check, original: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: OrganizationsBackend, **kwargs: Any) -> Any:
        if self.org is not None:  # no organization: moto's AWSOrganizationsNotInUseException
            check(self, kwargs)
        return original(self, **kwargs)

    method.__name__ = original.__name__
    return method


def install() -> None:
    """Run each operation's checks before moto's method."""
    for name, check in CHECKS.items():
        setattr(OrganizationsBackend, name, _checked(check, getattr(OrganizationsBackend, name)))
