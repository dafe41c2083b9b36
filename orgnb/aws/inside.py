"""An account to bring in, opened through its own profile: who the profile acts as, and the account's organization.

The audit (phase 01) and the migration (phase 05) both look inside the accounts the parameters bring in; both start
here, and read what each needs from the context it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from orgnb.aws.guards import profile_context
from orgnb.aws.inventory import CallerIdentity, Organization, caller_identity, describe_organization
from orgnb.aws.session import AwsContext


class Why(StrEnum):
    """Why an account could not be opened through its profile."""

    NO_PROFILE = "no profile given"
    NO_SUCH_PROFILE = "the AWS config has no such profile"
    UNREADABLE = "the calls were refused or failed"
    ELSEWHERE = "the profile acts in another account"


class NotInside(Exception):
    """The account could not be opened through its profile: why (each caller words it), the cause, and whom the
    profile acts as when it works in another account."""

    def __init__(self, why: Why, cause: str = "", seen_as: str | None = None) -> None:
        super().__init__(f"{why.value}: {cause}" if cause else why.value)
        self.why = why
        self.cause = cause
        self.seen_as = seen_as


@dataclass(frozen=True)
class Inside:
    """An account seen through its own profile: a context acting in it, the caller, its organization (None: standalone)."""

    ctx: AwsContext
    caller: CallerIdentity
    organization: Organization | None


def look_inside(base: AwsContext, account_id: str, profile: str | None) -> Inside:
    """Open `account_id` through `profile` (sts:GetCallerIdentity, organizations:DescribeOrganization); NotInside says
    why not: no profile, a profile the config lacks, the calls refused, or a profile acting in another account."""
    if not profile:
        raise NotInside(Why.NO_PROFILE)
    try:
        ctx = profile_context(base, profile)
        caller = caller_identity(ctx)
        if caller.account_id != account_id:
            raise NotInside(Why.ELSEWHERE, f"profile {profile} acts in {caller.account_id}, not {account_id}", caller.account_id)
        return Inside(ctx, caller, describe_organization(ctx))
    except ProfileNotFound as exc:
        raise NotInside(Why.NO_SUCH_PROFILE, str(exc)) from None
    except (ClientError, BotoCoreError) as exc:
        raise NotInside(Why.UNREADABLE, str(exc)) from None
