"""The kit's member-side operations, for phase 07's blast-radius preview (the preview itself comes next).

`member_operations.json` lists, per phase and kind of principal, the IAM actions the kit performs inside member
accounts (the call scopes of orgnb.aws.session other than the caller's own); `make policy-data` rebuilds it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path

from orgnb.aws.session import ACCOUNT_PROFILE_SCOPE, MEMBER_ROLE_SCOPE, ROOT_SESSION_SCOPE

MEMBER_OPERATIONS_PATH = Path(__file__).resolve().parents[2] / "member_operations.json"


class PrincipalKind(StrEnum):
    """Who performs an action inside a member: the kit's call scopes (orgnb.aws.session), or the parameters' list."""

    MEMBER_ROLE = MEMBER_ROLE_SCOPE  # a session of OrganizationAccountAccessRole
    ROOT_SESSION = ROOT_SESSION_SCOPE  # the member's root, in a session from sts:AssumeRoot
    ACCOUNT_PROFILE = ACCOUNT_PROFILE_SCOPE  # a moved account's own profile
    LISTED = "listed"  # an action the parameters list (a CI role's), by a generic principal of the account


KIT_KINDS = (PrincipalKind.MEMBER_ROLE, PrincipalKind.ROOT_SESSION, PrincipalKind.ACCOUNT_PROFILE)
# phase -> kind of principal -> IAM actions, as member_operations.json holds them
MemberOperations = Mapping[str, Mapping[str, Sequence[str]]]


def member_operations() -> dict[str, dict[str, list[str]]]:
    """The committed member-side actions, per phase and kind of principal."""
    data: dict[str, dict[str, list[str]]] = json.loads(MEMBER_OPERATIONS_PATH.read_text(encoding="utf-8"))
    return data
