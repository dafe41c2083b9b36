"""Who is calling: the principal behind a request's access key, and the condition keys it brings to a request.

A key never changes owner, so each key's principal is cached (the lookup runs on every request). Kinds: an IAM user
(the operator users the sandbox makes per scenario account are IAM users), an assumed-role session (aws:PrincipalArn
is its role's ARN; the session ARN names it in messages), and an AssumeRoot session, whose principal is the account
root and which alone carries aws:AssumedRoot "true".

Values follow the IAM User Guide's "AWS global condition context keys" page. aws:SecureTransport is "true": the
sandbox stands in for AWS's HTTPS endpoints, even though it serves plain HTTP on loopback. aws:PrincipalIsAWSService
and aws:ViaAWSService are "false": sandbox callers are never AWS services. Setting (registered with state; the admin
route POST /orgnb-api/settings changes it):
- `assumed_root_principal_type` ("Account"): aws:PrincipalType in an AssumeRoot session. The page gives "Account"
  for the root user; it does not say what a privileged root session reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from moto.iam.models import get_account_id_from, iam_backends
from moto.sts.models import sts_backends

from orgnb.aws import policyeval
from orgnb.aws.policyeval import Value
from orgnb.sandbox import registry, rootaccess, state

SETTINGS = state.settings(
    {"assumed_root_principal_type": policyeval.ROOT_PRINCIPAL_TYPE},
    assumed_root_principal_type=state.Field("assumed_root_principal_type", str),
)
SERVICE_ROLE_PATH = "/aws-service-role/"


class Kind(StrEnum):
    """What kind of principal holds a key, as aws:PrincipalType names it."""

    USER = "User"
    ROLE_SESSION = "AssumedRole"
    ROOT = policyeval.ROOT_PRINCIPAL_TYPE


@dataclass(frozen=True)
class Principal:
    """A caller: its account, the ARN AWS names it by in messages, and the ARN policies match (aws:PrincipalArn)."""

    account_id: str
    arn: str
    principal_arn: str
    kind: Kind
    userid: str
    username: str | None = None
    role_path: str | None = None
    assumed_root: bool = False

    @property
    def service_linked(self) -> bool:
        """True for a session of a service-linked role (SCPs never restrict those)."""
        return self.kind is Kind.ROLE_SESSION and (self.role_path or "").startswith(SERVICE_ROLE_PATH)

    @property
    def identifiers(self) -> frozenset[str]:
        """What a trust policy's Principal may name this caller by: its account (id or root ARN), its own ARN, and
        for a role session the role's ARN."""
        return frozenset({self.account_id, f"arn:aws:iam::{self.account_id}:root", self.arn, self.principal_arn})


_CACHE: dict[str, Principal] = state.store({})


def root(account_id: str, assumed: bool = False) -> Principal:
    """The account's root user, or an AssumeRoot session acting as it."""
    arn = f"arn:aws:iam::{account_id}:root"
    return Principal(account_id, arn, arn, Kind.ROOT, account_id, assumed_root=assumed)


def _user(account_id: str, name: str) -> Principal:
    user = iam_backends[account_id]["aws"].users.get(name)
    arn = user.arn if user else f"arn:aws:iam::{account_id}:user/{name}"
    return Principal(account_id, arn, arn, Kind.USER, user.id if user else name, username=name)


def iam_role(account_id: str, name: str) -> Any:
    """moto's role `name` in `account_id`, or None."""
    return next((r for r in iam_backends[account_id]["aws"].roles.values() if r.name == name), None)


def _role_session(account_id: str, role_arn: str, session_arn: str, session_name: str) -> Principal:
    """A session of the role `role_arn` (the role may be gone: its ARN still names the path)."""
    role = iam_role(account_id, role_arn.rsplit("/", 1)[-1])
    path = role.path if role else role_arn.split(":role", 1)[-1].rpartition("/")[0] + "/"
    role_id = role.id if role else role_arn
    return Principal(account_id, session_arn, role.arn if role else role_arn, Kind.ROLE_SESSION, f"{role_id}:{session_name}", None, path)


def _resolve(key: str) -> Principal | None:
    session = rootaccess.SESSIONS.get(key)
    if session is not None:
        return root(session.account_id, assumed=True)
    account_id = get_account_id_from(key)
    access_key = iam_backends[account_id]["aws"].access_keys.get(key)
    if access_key is None:
        return None
    if getattr(access_key, "role_arn", None):
        assumed = sts_backends[account_id]["aws"].get_assumed_role_from_access_key(key)
        return None if assumed is None else _role_session(account_id, assumed.role_arn, assumed.arn, assumed.session_name)
    return _user(account_id, access_key.user_name) if access_key.user_name else None


def of_key(key: str) -> Principal | None:
    """The principal holding access key `key`, or None for a key the sandbox did not issue."""
    found = _CACHE.get(key)
    if found is None:
        found = _resolve(key)
        if found is not None:
            _CACHE[key] = found
    return found


def from_arn(account_id: str, arn: str) -> Principal:
    """A principal named by ARN (a user, a role standing for its sessions, an assumed-role session, the root)."""
    resource = arn.split(":", 5)[-1]
    if resource == "root":
        return root(account_id)
    kind, _, rest = resource.partition("/")
    if kind == "user":
        return _user(account_id, rest.rsplit("/", 1)[-1])
    if kind == "role":
        return _role_session(account_id, arn, arn, "")
    if kind == "assumed-role":
        role_name, _, session_name = rest.partition("/")
        role = iam_role(account_id, role_name)
        return _role_session(account_id, role.arn if role else f"arn:aws:iam::{account_id}:role/{role_name}", arn, session_name)
    raise ValueError(f"not a principal ARN: {arn}")


def _org_keys(account_id: str) -> dict[str, Value]:
    backend = registry.org_backend(account_id)
    account = next((a for a in backend.accounts if a.id == account_id), None) if backend is not None else None
    if backend is None or account is None:
        return {}
    path = "/".join([backend.org.id, *(c.id for c in registry.containers(backend, account))]) + "/"
    return policyeval.org_context(backend.org.id, path)


def context(principal: Principal, region: str | None) -> dict[str, Value]:
    """The condition keys a request by `principal` carries (lower-cased names), its organization's included
    (`policyeval.principal_context`, which the kit's guardrails preview uses too)."""
    kind = SETTINGS["assumed_root_principal_type"] if principal.assumed_root else principal.kind.value
    keys = policyeval.principal_context(
        principal.principal_arn, principal.account_id, kind, principal.userid, principal.username, principal.assumed_root
    )
    if region:
        keys["aws:requestedregion"] = region
    return keys | _org_keys(principal.account_id)
