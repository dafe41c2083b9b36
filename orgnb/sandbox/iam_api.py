"""IAM centralized root access, STS AssumeRoot, and IAM calls served from the root credential store.

Spec: the IAM API reference (Enable/DisableOrganizationsRoot*, ListOrganizationsFeatures), STS AssumeRoot, and
the IAM user guide's "Centrally manage root access for member accounts". Every request made with AssumeRoot
credentials, to any service, is checked by the server before moto sees it (rootaccess.refusal): an expired session
gets ExpiredToken, an action outside the task policy AccessDenied. AssumeRoot is also judged by the target's SCPs, as
its root in a root session, under rootaccess's setting `assume_root_checks_target_scps`. It needs trusted access for IAM (the
EnableOrganizationsRootSessions and ...RootCredentialsManagement references: "Enable trusted access for AWS Identity
and Access Management in AWS Organizations"): once DisableAWSServiceAccess turns it off, AssumeRoot is refused.
"""

from __future__ import annotations

import re
import secrets
import warnings
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.core.utils import utcnow
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse
from moto.sts.models import sts_backends
from moto.sts.responses import TokenResponse

from orgnb.sandbox import principals, registry, rootaccess, scp
from orgnb.sandbox.exceptions import QueryError

IAM_PRINCIPAL = "iam.amazonaws.com"
_TASK_ARN = re.compile(r"^arn:aws[\w-]*:iam::aws:policy/root-task/(?P<name>\w+)$")
_TARGET = re.compile(r"^(?:(?P<id>\d{12})|arn:aws[\w-]*:iam::(?P<arn_id>\d{12}):root)$")


def _trusted(backend: Any) -> bool:
    """True when the organization has trusted access for IAM enabled."""
    return any(s.get("ServicePrincipal") == IAM_PRINCIPAL for s in backend.services)


def _org_feature_backend(caller: str, enabling: bool) -> Any:
    """The organization backend after the checks IAM documents for these operations, in order."""
    backend = registry.org_backend(caller)
    if backend is None:
        raise QueryError(
            "OrganizationNotFoundException", "The request was rejected because no organization is associated with your account."
        )
    is_mgmt = backend.org.master_account_id == caller
    admin = any(a.account.id == caller and IAM_PRINCIPAL in a.services for a in backend.admins)
    if not (is_mgmt or admin):
        raise QueryError(
            "AccountNotManagementOrDelegatedAdministratorException",
            "The account is not the management account or a delegated administrator.",
        )
    if backend.org.feature_set != "ALL":
        raise QueryError("OrganizationNotInAllFeaturesModeException", "The organization does not have all features enabled.")
    if not _trusted(backend):
        raise QueryError("ServiceAccessNotEnabledException", "Trusted access for IAM is not enabled in Organizations.")
    if enabling and not is_mgmt:
        raise QueryError("CallerIsNotManagementAccountException", "Only the management account can enable this feature.")
    if not hasattr(backend.org, "root_features"):
        backend.org.root_features = set()
    return backend


def _features_handler(feature: str | None, enable: bool) -> Callable[[IamResponse], ActionResult]:
    def handler(self: IamResponse) -> ActionResult:
        backend = _org_feature_backend(self.current_account, enabling=enable and feature is not None)
        if feature is not None:
            (backend.org.root_features.add if enable else backend.org.root_features.discard)(feature)
        enabled = [f for f in rootaccess.FEATURES if f in backend.org.root_features]
        return ActionResult({"OrganizationId": backend.org.id, "EnabledFeatures": enabled})

    return handler


def caller_arn(resp: BaseResponse) -> str:
    """The ARN moto gives the caller of `resp`'s request."""
    return sts_backends[resp.current_account]["aws"].get_caller_identity(resp.get_access_key(), resp.region)[1]


def reply_error(resp: BaseResponse, error: QueryError) -> tuple[int, dict[str, Any], Any]:
    """The response for `error` in `resp`'s protocol; AccessDenied with HTTP 403, which moto cannot know (the error is
    not modeled for IAM or STS, so moto would send 400)."""
    status, headers, body = resp.serialized(ActionResult(error))
    headers["status"] = 403 if error.code == "AccessDenied" else status
    return headers["status"], headers, body


def assume_root(self: TokenResponse) -> ActionResult | tuple[int, dict[str, Any], Any]:
    """STS AssumeRoot: checks in order, then credentials that act inside the target account as its root; a refusal
    is AccessDenied with HTTP 403, as STS answers it."""
    try:
        return _root_session(self)
    except QueryError as error:
        if error.code == "AccessDenied":
            return reply_error(self, error)
        raise


def _root_session(self: TokenResponse) -> ActionResult:
    duration = self._get_int_param("DurationSeconds", 900)
    if duration > 900:
        raise QueryError(
            "ValidationError",
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: "
            "Member must have value less than or equal to 900",
        )
    target_match = _TARGET.match(self._get_param("TargetPrincipal") or "")
    task_match = _TASK_ARN.match(self._get_param("TaskPolicyArn.arn") or "")
    if not target_match:
        raise QueryError("ValidationError", "TargetPrincipal must be an account id or the account's root ARN.")
    if not task_match or task_match["name"] not in rootaccess.TASK_POLICIES:
        raise QueryError("ValidationError", "TaskPolicyArn must name one of the root-task policies.")
    target = target_match["id"] or target_match["arn_id"]
    caller = self.current_account
    if self.get_access_key() in rootaccess.SESSIONS:
        raise QueryError("AccessDenied", "You cannot use root user credentials to make this call.")
    denied = QueryError(
        "AccessDenied", f"User: {caller_arn(self)} is not authorized to perform: sts:AssumeRoot on resource: arn:aws:iam::{target}:root"
    )
    backend = registry.org_backend(caller)
    if backend is None:
        raise denied
    admin = any(a.account.id == caller and IAM_PRINCIPAL in a.services for a in backend.admins)
    feature = rootaccess.TASK_POLICIES[task_match["name"]][0]
    if backend.org.master_account_id != caller and not admin:
        raise denied
    if not _trusted(backend) or feature not in getattr(backend.org, "root_features", set()):
        raise denied
    member = next((a for a in backend.accounts if a.id == target), None)
    if member is None or target == backend.org.master_account_id or member.state != "ACTIVE":
        raise denied
    if rootaccess.SETTINGS["assume_root_checks_target_scps"]:
        as_root = principals.root(target, assumed=True)
        refused = scp.refusal(as_root, "sts:AssumeRoot", as_root.arn, principals.context(as_root, self.region), caller_arn(self))
        if refused:
            raise QueryError("AccessDenied", refused)
    key = iam_backends[target]["aws"].create_temp_access_key()
    token = secrets.token_urlsafe(96)
    session = rootaccess.issue(target, key.access_key_id, task_match["name"], duration, caller_arn(self), token)
    credentials = {
        "AccessKeyId": key.access_key_id,
        "SecretAccessKey": key.secret_access_key,
        "SessionToken": token,
        "Expiration": session.expiration,
    }
    return ActionResult({"Credentials": credentials})


def get_caller_identity(original: Callable[[TokenResponse], Any]) -> Callable[[TokenResponse], Any]:
    """GetCallerIdentity answers the target's root in a root session."""

    def handler(self: TokenResponse) -> Any:
        session = rootaccess.SESSIONS.get(self.get_access_key())
        if session is None:
            return original(self)
        return ActionResult({"UserId": session.account_id, "Account": session.account_id, "Arn": f"arn:aws:iam::{session.account_id}:root"})

    return handler


def _store(self: IamResponse) -> registry.RootCredentials:
    return registry.record(rootaccess.SESSIONS[self.get_access_key()].account_id).root


def _not_found(message: str) -> QueryError:
    return QueryError("NoSuchEntity", message)


def _get_login_profile(self: IamResponse) -> ActionResult:
    root = _store(self)
    if root.login_profile is None:
        raise _not_found("Login Profile for User root cannot be found.")
    return ActionResult(
        {"LoginProfile": {"UserName": self.current_account, "CreateDate": root.login_profile, "PasswordResetRequired": False}}
    )


def _delete_login_profile(self: IamResponse) -> EmptyResult:
    root = _store(self)
    if root.login_profile is None:
        raise _not_found("Login Profile for User root cannot be found.")
    root.login_profile = None
    return EmptyResult()


def _create_login_profile(self: IamResponse) -> ActionResult:
    root = _store(self)
    if self._get_param("Password"):
        raise QueryError("ValidationError", "Password must be omitted in an AssumeRoot session.")
    if root.login_profile is not None:
        raise QueryError("EntityAlreadyExists", "Login Profile for User root already exists.")
    root.login_profile = utcnow()
    return ActionResult(
        {"LoginProfile": {"UserName": self.current_account, "CreateDate": root.login_profile, "PasswordResetRequired": False}}
    )


def _list(key: str, items: Callable[[IamResponse], list[dict[str, Any]]]) -> Callable[[IamResponse], ActionResult]:
    return lambda self: ActionResult({key: items(self), "IsTruncated": False})


def _delete_from(attr: str, key: str, param: str, what: str) -> Callable[[IamResponse], EmptyResult]:
    def handler(self: IamResponse) -> EmptyResult:
        items = getattr(_store(self), attr)
        wanted = self._get_param(param)
        match = next((i for i in items if i[key] == wanted), None)
        if match is None:
            raise _not_found(f"The {what} with id {wanted} cannot be found.")
        items.remove(match)
        return EmptyResult()

    return handler


def _get_user(self: IamResponse) -> ActionResult:
    acct = self.current_account
    user = {
        "Path": "/",
        "UserName": acct,
        "UserId": acct,
        "Arn": f"arn:aws:iam::{acct}:root",
        "CreateDate": registry.record(acct).created_at,
    }
    return ActionResult({"User": user})


ROOT_STORE_HANDLERS: dict[str, Callable[[IamResponse], Any]] = {
    "get_login_profile": _get_login_profile,
    "delete_login_profile": _delete_login_profile,
    "create_login_profile": _create_login_profile,
    "list_access_keys": _list("AccessKeyMetadata", lambda self: _store(self).access_keys),
    "delete_access_key": _delete_from("access_keys", "AccessKeyId", "AccessKeyId", "Access Key"),
    "list_mfa_devices": _list("MFADevices", lambda self: [{"UserName": self.current_account, **d} for d in _store(self).mfa_devices]),
    "deactivate_mfa_device": _delete_from("mfa_devices", "SerialNumber", "SerialNumber", "MFA device"),
    "list_signing_certificates": _list(
        "Certificates", lambda self: [{"UserName": self.current_account, **c} for c in _store(self).certificates]
    ),
    "delete_signing_certificate": _delete_from("certificates", "CertificateId", "CertificateId", "Signing Certificate"),
    "get_user": _get_user,
}


def _root_store(name: str, original: Callable[[IamResponse], Any]) -> Callable[[IamResponse], Any]:
    def handler(self: IamResponse) -> Any:
        if self.get_access_key() not in rootaccess.SESSIONS:
            return original(self)
        if self._get_param("UserName"):
            raise QueryError("AccessDenied", "A root session acts only on the root user: omit UserName.")
        return ROOT_STORE_HANDLERS[name](self)

    handler.__name__ = name
    return handler


def install() -> None:
    """Register the operations, the root-session guard and the root-store handlers."""
    # AccessDenied and ExpiredToken are common errors, absent from IAM's model: moto warns, then sends them right
    warnings.filterwarnings("ignore", message=r"Exception\(QueryError\) with code")
    # operations moto lacks, added to its response classes (attributes mypy cannot see)
    IamResponse.enable_organizations_root_credentials_management = _features_handler("RootCredentialsManagement", True)  # type: ignore[attr-defined]
    IamResponse.enable_organizations_root_sessions = _features_handler("RootSessions", True)  # type: ignore[attr-defined]
    IamResponse.disable_organizations_root_credentials_management = _features_handler("RootCredentialsManagement", False)  # type: ignore[attr-defined]
    IamResponse.disable_organizations_root_sessions = _features_handler("RootSessions", False)  # type: ignore[attr-defined]
    IamResponse.list_organizations_features = _features_handler(None, False)  # type: ignore[attr-defined]
    TokenResponse.assume_root = assume_root  # type: ignore[attr-defined]
    TokenResponse.get_caller_identity = get_caller_identity(TokenResponse.get_caller_identity)  # type: ignore[method-assign,assignment]
    for name in ROOT_STORE_HANDLERS:
        setattr(IamResponse, name, _root_store(name, getattr(IamResponse, name)))
