"""Centralized root access: the organization's root features, AssumeRoot sessions and their task policies.

Spec: the IAM user guide's "Centrally manage root access for member accounts" and STS AssumeRoot. Choices where
AWS is silent: the feature that guards each task policy (IAM* → RootCredentialsManagement, S3/SQS → RootSessions);
a root session's IAM user name is the account id; GetCallerIdentity in a root session answers the account's root
ARN; an explicit UserName in a root session is denied.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moto.core.utils import utcnow

from orgnb.sandbox import state
from orgnb.sandbox.registry import RootCredentials

FEATURES = ("RootCredentialsManagement", "RootSessions")
# Whether AssumeRoot is also judged by the target member's SCPs, as its root user in a root session. The STS API
# reference says nothing of it; AWS re:Post's "How do I set up centralized root access in IAM for member accounts?"
# ("Adjust SCPs to allow root sessions") tells organizations whose SCPs deny root users to adjust them for
# sts:AssumeRoot. On: the stricter reading, which the kit's guardrails preview takes too.
SETTINGS = state.settings(
    {"assume_root_checks_target_scps": True},
    assume_root_checks_target_scps=state.Field("assume_root_checks_target_scps", bool),
)
# What each root-task policy leaves allowed: the NotAction list of its "DenyAllOtherActionsOnAnyResource" statement
# (AWS Managed Policy Reference Guide, each policy's page; the IAM user guide's "Perform a privileged task on an AWS
# Organizations member account" lists the five). Their other statements deny the same actions to anything but the
# root user, which a root session always is.
_READ_ROOT = frozenset(
    {
        "iam:GetAccessKeyLastUsed",
        "iam:GetLoginProfile",
        "iam:GetUser",
        "iam:ListAccessKeys",
        "iam:ListMFADevices",
        "iam:ListSigningCertificates",
    }
)
_DELETE = frozenset(
    {
        "iam:DeactivateMFADevice",
        "iam:DeleteAccessKey",
        "iam:DeleteLoginProfile",
        "iam:DeleteSigningCertificate",
        "iam:DeleteVirtualMFADevice",
    }
)
# Task policy -> (the organization feature it needs, the actions it allows).
TASK_POLICIES: dict[str, tuple[str, frozenset[str]]] = {
    "IAMAuditRootUserCredentials": ("RootCredentialsManagement", _READ_ROOT | {"iam:GetAccountSummary"}),
    "IAMCreateRootUserPassword": ("RootCredentialsManagement", frozenset({"iam:CreateLoginProfile", "iam:GetLoginProfile"})),
    "IAMDeleteRootUserCredentials": ("RootCredentialsManagement", _READ_ROOT | _DELETE),
    "S3UnlockBucketPolicy": (
        "RootSessions",
        frozenset({"s3:DeleteBucketPolicy", "s3:GetBucketPolicy", "s3:ListAllMyBuckets", "s3:PutBucketPolicy"}),
    ),
    "SQSUnlockQueuePolicy": (
        "RootSessions",
        frozenset({"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueues", "sqs:SetQueueAttributes"}),
    ),
}
ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})


@dataclass(frozen=True)
class RootSession:
    """Credentials AssumeRoot issued: they act as the target's root user, within one task policy, until expiry."""

    access_key_id: str
    account_id: str
    task_policy: str
    expiration: datetime
    issuer_arn: str
    session_token: str = ""  # kept so tests can prove it never reaches a record

    def allows(self, action: str) -> bool:
        """True when the task policy covers `service:Action`."""
        return action in ALWAYS_ALLOWED or action in TASK_POLICIES[self.task_policy][1]

    @property
    def expired(self) -> bool:
        """True once the session's time is up."""
        return utcnow() >= self.expiration


SESSIONS: dict[str, RootSession] = state.store({})


def refusal(access_key: str, action: str) -> tuple[str, str] | None:
    """(error code, message) when `access_key` belongs to a root session that may not ask for `action` (it expired,
    or its task policy does not allow the action); None for any other key or an allowed action. The server checks
    every request of every service (S3 and SQS included) before the request reaches moto."""
    session = SESSIONS.get(access_key)
    if session is None:
        return None
    if session.expired:
        return "ExpiredToken", "The security token included in the request is expired"
    if not session.allows(action):
        root = f"arn:aws:iam::{session.account_id}:root"
        return "AccessDenied", (
            f"User: {root} is not authorized to perform: {action} on resource: {root} because no session policy allows the {action} action"
        )
    return None


def seed_root_credentials(account: Any) -> RootCredentials:
    """A scenario account's root credentials from its flags (password, access key, MFA, certificate)."""
    now = utcnow()
    root = RootCredentials(login_profile=now if account.root_password else None)
    if account.root_access_keys:
        root.access_keys.append({"AccessKeyId": "AKIA" + secrets.token_hex(8).upper(), "Status": "Active", "CreateDate": now})
    if account.root_mfa:
        root.mfa_devices.append({"SerialNumber": f"arn:aws:iam::{account.account_id}:mfa/root-account-mfa-device", "EnableDate": now})
    if account.root_certificate:
        cert_id = secrets.token_hex(20).upper()
        root.certificates.append(
            {"CertificateId": cert_id, "CertificateBody": "-----BEGIN CERTIFICATE-----", "Status": "Active", "UploadDate": now}
        )
    return root


def issue(account_id: str, access_key_id: str, task_policy: str, duration: int, issuer_arn: str, token: str = "") -> RootSession:
    """Record a new root session."""
    session = RootSession(access_key_id, account_id, task_policy, utcnow() + timedelta(seconds=duration), issuer_arn, token)
    SESSIONS[access_key_id] = session
    return session
