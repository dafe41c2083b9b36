"""Member root credentials through centralized root access: read the features, audit, delete (phases 03 and 06).

Every look inside a member goes through `sts:AssumeRoot` with the narrowest root-task policy for the job
(IAMAuditRootUserCredentials to read, IAMDeleteRootUserCredentials to delete), one short session per account.
The sessions' credentials live only inside the AwsContext that uses them: nothing here returns, prints or
journals them; results are counts and ids of what was found or removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from orgnb.aws.session import AwsContext
from orgnb.remedies import remedy_for

IAM_PRINCIPAL = "iam.amazonaws.com"
CREDENTIALS_MANAGEMENT = "RootCredentialsManagement"
ROOT_SESSIONS = "RootSessions"
AUDIT_POLICY = "IAMAuditRootUserCredentials"
DELETE_POLICY = "IAMDeleteRootUserCredentials"
_FEATURES_UNREADABLE = {"ServiceAccessNotEnabledException", "OrganizationNotInAllFeaturesModeException", "OrganizationNotFoundException"}


@dataclass(frozen=True)
class MemberRootCredentials:
    """What a member's root user holds, as the audit task policy sees it (or why it could not be read)."""

    account_id: str
    name: str
    login_profile: bool = False
    access_keys: tuple[str, ...] = ()
    mfa_devices: tuple[str, ...] = ()
    signing_certificates: tuple[str, ...] = ()
    error: str = ""

    @property
    def present(self) -> bool:
        """True when the root user has any credential at all."""
        return bool(self.login_profile or self.access_keys or self.mfa_devices or self.signing_certificates)

    def row(self) -> dict[str, Any]:
        """One table row (counts only; key ids are not secrets but the table does not need them)."""
        return {
            "account": self.account_id,
            "name": self.name,
            "login_profile": self.login_profile,
            "access_keys": len(self.access_keys),
            "mfa_devices": len(self.mfa_devices),
            "signing_certificates": len(self.signing_certificates),
            "status": self.error or ("root credentials present" if self.present else "none"),
        }


@dataclass(frozen=True)
class RootAccessState:
    """The organization's root-access features and, once they allow it, every member's root credentials."""

    features: frozenset[str] = frozenset()
    members: tuple[MemberRootCredentials, ...] = ()
    audited: bool = False
    reason: str = ""  # why the members were not audited

    def frame(self) -> pd.DataFrame:
        """The audit as a table, one row per member account."""
        columns = ["account", "name", "login_profile", "access_keys", "mfa_devices", "signing_certificates", "status"]
        return pd.DataFrame([m.row() for m in self.members], columns=columns)

    def with_credentials(self) -> list[MemberRootCredentials]:
        """Members whose root user still holds something."""
        return [m for m in self.members if m.present]

    def headline(self) -> str:
        """One line: features and what the audit found."""
        features = ", ".join(sorted(self.features)) or "none"
        if not self.audited:
            return f"root access features: {features}; member audit not run: {self.reason}"
        return (
            f"root access features: {features}; audited {len(self.members)} member account(s), "
            f"{len(self.with_credentials())} with root credentials, {sum(1 for m in self.members if m.error)} unreadable"
        )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def read_features(ctx: AwsContext) -> frozenset[str] | None:
    """The enabled root-access features, or None while IAM cannot answer (no trusted access or not all features)."""
    try:
        return frozenset(ctx.client("iam").list_organizations_features()["EnabledFeatures"])
    except ClientError as exc:
        if _code(exc) in _FEATURES_UNREADABLE:
            return None
        raise


def _missing_is_none(call: Any) -> Any:
    try:
        return call()
    except ClientError as exc:
        if _code(exc) == "NoSuchEntity":
            return None
        raise


def read_root_credentials(root: AwsContext, account_id: str, name: str) -> MemberRootCredentials:
    """Read one member's root credentials from inside a root session."""
    iam = root.client("iam")
    profile = _missing_is_none(iam.get_login_profile)
    keys = [k["AccessKeyId"] for page in iam.get_paginator("list_access_keys").paginate() for k in page["AccessKeyMetadata"]]
    mfa = [d["SerialNumber"] for page in iam.get_paginator("list_mfa_devices").paginate() for d in page["MFADevices"]]
    certs = [c["CertificateId"] for page in iam.get_paginator("list_signing_certificates").paginate() for c in page["Certificates"]]
    return MemberRootCredentials(account_id, name, profile is not None, tuple(keys), tuple(mfa), tuple(certs))


def audit_member(ctx: AwsContext, account_id: str, name: str) -> MemberRootCredentials:
    """Audit one member through AssumeRoot with the audit task policy; an AWS refusal is reported, not raised."""
    try:
        return read_root_credentials(ctx.as_root(account_id, AUDIT_POLICY), account_id, name)
    except ClientError as exc:
        remedy = remedy_for(exc)
        return MemberRootCredentials(account_id, name, error=f"not audited: {_code(exc)}" + (f" ({remedy})" if remedy else ""))


def audit_members(ctx: AwsContext, members: Iterable[tuple[str, str]]) -> RootAccessState:
    """The features and, when root credentials management is on, the audit of every (account id, name)."""
    features = read_features(ctx)
    if features is None:
        return RootAccessState(reason="trusted access for IAM (and all features) must be on first")
    if CREDENTIALS_MANAGEMENT not in features:
        return RootAccessState(features, reason=f"{CREDENTIALS_MANAGEMENT} is not enabled yet")
    audits = tuple(audit_member(ctx, account_id, name) for account_id, name in members)
    return RootAccessState(features, audits, audited=True)


def delete_root_credentials(ctx: AwsContext, account_id: str) -> dict[str, int]:
    """Delete every root credential of a member (irreversible) in a delete-policy session; returns what was removed."""
    root = ctx.as_root(account_id, DELETE_POLICY)
    iam = root.client("iam")
    found = read_root_credentials(root, account_id, "")
    for key_id in found.access_keys:
        iam.delete_access_key(AccessKeyId=key_id)
    for serial in found.mfa_devices:
        iam.deactivate_mfa_device(SerialNumber=serial)
    for cert_id in found.signing_certificates:
        iam.delete_signing_certificate(CertificateId=cert_id)
    if found.login_profile:
        iam.delete_login_profile()
    return {
        "login_profile": int(found.login_profile),
        "access_keys": len(found.access_keys),
        "mfa_devices": len(found.mfa_devices),
        "signing_certificates": len(found.signing_certificates),
    }
