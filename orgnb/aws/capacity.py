"""The organization's room for more accounts: its account quota, and the day's invitations, checked before any write.

AWS's rules, from the Organizations user guide's "Quotas for AWS Organizations" (Number of AWS accounts in an
organization) and "Managing account invitations":
- The account quota (Service Quotas, code L-E619E033, default 10) counts every account of the organization, the
  management account included. A closed account (PENDING_CLOSURE, then SUSPENDED) counts until it is closed
  permanently, and ListAccounts shows it until then. An invitation counts from when it is sent until it is declined,
  cancelled or expires (accepted, it is an account). A CreateAccount request still IN_PROGRESS becomes an account.
- At most 20 invitations a day. Accepted invitations don't count against it: "As soon as one invitation is
  accepted, you can send another invitation that same day."
- At most 5 CreateAccount requests in progress at a time per organization (older editions of the quotas page); a
  sixth is refused with ConstraintViolationException ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED, "You attempted to exceed
  the number of accounts that can be in progress at a time" (botocore's ConstraintViolationException documentation).

Organizations is a global service homed in us-east-1: its quotas are read, and raised, there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError

from orgnb.aws.inventory import HandshakeRecord, Inventory
from orgnb.aws.session import AwsContext
from orgnb.errors import AccountQuotaExceeded, InvitationLimitReached, PreflightRefused
from orgnb.input.parameters import Parameters

ACCOUNTS_QUOTA_CODE = "L-E619E033"
ACCOUNTS_QUOTA_NAME = "Default maximum number of accounts"
DEFAULT_ACCOUNT_QUOTA = 10  # AWS's default (Quotas for AWS Organizations)
DAILY_INVITATIONS = 20  # invitations an organization may send a day (Quotas for AWS Organizations)
CREATE_ACCOUNT_IN_FLIGHT = 5  # CreateAccount requests in progress at a time (see above)
INVITATION_WINDOW = timedelta(days=1)
QUOTA_REGION = "us-east-1"


@dataclass(frozen=True)
class AccountQuota:
    """The organization's account quota, and where its value came from."""

    value: int
    source: str
    read: bool = True  # False: Service Quotas did not answer, and `value` is AWS's default, a floor rather than the value

    def describe(self) -> str:
        """The quota by name and code, its value and its source."""
        return f"'{ACCOUNTS_QUOTA_NAME}' ({ACCOUNTS_QUOTA_CODE}) = {self.value}, from {self.source}"


def account_quota(ctx: AwsContext) -> AccountQuota:
    """The organization's account quota from Service Quotas, else AWS's default, saying which."""
    try:
        quota = ctx.client("service-quotas", region=QUOTA_REGION).get_service_quota(
            ServiceCode="organizations", QuotaCode=ACCOUNTS_QUOTA_CODE
        )
        return AccountQuota(int(quota["Quota"]["Value"]), "Service Quotas")
    except (ClientError, BotoCoreError) as exc:
        code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else type(exc).__name__
        return AccountQuota(DEFAULT_ACCOUNT_QUOTA, f"AWS's default (Service Quotas not readable: {code})", read=False)


@dataclass(frozen=True, kw_only=True)
class QuotaInventory(Inventory):
    """The inventory plus the organization's account quota: what the phases that add accounts (04, 05) plan from."""

    account_quota: AccountQuota


def read_account_quota(ctx: AwsContext, params: Parameters, inventory: Inventory) -> QuotaInventory:
    """The inventory with the organization's account quota (phase 04's read)."""
    del params  # the quota is the organization's, whatever the parameters plan
    return inventory.extended(QuotaInventory, account_quota=account_quota(ctx))


def request_increase(desired: int) -> str:
    """How to ask AWS to raise the account quota to `desired`."""
    return (
        f"ask AWS for {desired} or more: Service Quotas console (region {QUOTA_REGION}), AWS Organizations, "
        f"'{ACCOUNTS_QUOTA_NAME}', or `aws service-quotas request-service-quota-increase --region {QUOTA_REGION} "
        f"--service-code organizations --quota-code {ACCOUNTS_QUOTA_CODE} --desired-value {desired}`"
    )


def _counted(inventory: Inventory, adopted: frozenset[str]) -> tuple[int, str]:
    """What counts against the quota now, and the sentence that says what it is."""
    accounts = len(inventory.accounts)
    closed = sum(1 for a in inventory.accounts if a.state in ("PENDING_CLOSURE", "SUSPENDED"))
    invitations = sum(1 for h in inventory.handshakes if h.action == "INVITE" and h.pending)
    creating = sum(1 for r in inventory.create_requests if r.state == "IN_PROGRESS" and r.id not in adopted)
    parts = [f"{accounts} account(s) (the management account{f' and {closed} closed' if closed else ''} included)"]
    parts += [f"{invitations} open invitation(s)"] if invitations else []
    parts += [f"{creating} CreateAccount request(s) in progress"] if creating else []
    return accounts + invitations + creating, " + ".join(parts)


def check_account_quota(inventory: QuotaInventory, adding: int, what: str, adopted: frozenset[str] = frozenset()) -> str:
    """Refuse (AccountQuotaExceeded) a plan whose `adding` accounts would pass the quota, or (PreflightRefused) the
    default quota when the real one could not be read; else the sum, for the plan's notes."""
    if adding == 0:
        return ""
    quota = inventory.account_quota
    now, counted = _counted(inventory, adopted)
    total = now + adding
    line = f"account quota: {counted} + {adding} {what} = {total} of {quota.describe()}"
    if total > quota.value and not quota.read:  # the quota may well be higher: what is missing is the permission to read it
        raise PreflightRefused(
            f"the plan needs more accounts than AWS's default quota, and the organization's own quota could not be read "
            f"({line}). Nothing was changed: allow servicequotas:GetServiceQuota (region {QUOTA_REGION}) to the role that runs "
            f"this phase; if the quota really is {quota.value}, {request_increase(total)}; then run this phase again"
        )
    if total > quota.value:
        raise AccountQuotaExceeded(
            f"the plan would take the organization past its account quota ({line}). Nothing was changed: "
            f"{request_increase(total)}; then run this phase again"
        )
    return line


def invitations_today(handshakes: tuple[HandshakeRecord, ...], now: datetime) -> list[datetime]:
    """When each invitation that counts against today's limit was sent (the last 24 hours, less those accepted), oldest first."""
    sent = [
        h.requested_at
        for h in handshakes
        if h.action == "INVITE" and h.state != "ACCEPTED" and h.requested_at is not None and now - h.requested_at < INVITATION_WINDOW
    ]
    return sorted(sent)


def not_before(moment: datetime) -> datetime:
    """`moment` rounded up to the minute: a time worth trying again, never early."""
    return datetime.fromtimestamp(math.ceil(moment.timestamp() / 60) * 60, UTC)


def check_invitation_limit(inventory: Inventory, sending: int, now: datetime) -> str:
    """Refuse (InvitationLimitReached) a plan that sends more invitations than remain today; else the count, for the notes."""
    if sending == 0:
        return ""
    used = invitations_today(inventory.handshakes, now)
    left = max(DAILY_INVITATIONS - len(used), 0)
    line = f"invitations: {len(used)} of {DAILY_INVITATIONS} a day used in the last 24 hours (accepted ones excepted), {sending} to send"
    if sending <= left:
        return line
    if sending > DAILY_INVITATIONS:
        when = f"no day allows {sending}: bring the accounts in over several days, at most {DAILY_INVITATIONS} a day"
    else:
        frees = not_before(used[0] + INVITATION_WINDOW)
        enough = not_before(used[sending - left - 1] + INVITATION_WINDOW)
        when = f"the next one frees up at {frees:%Y-%m-%d %H:%M} UTC, room for all {sending} at {enough:%Y-%m-%d %H:%M} UTC"
    raise InvitationLimitReached(
        f"the plan sends {sending} invitation(s) but only {left} of the daily limit of {DAILY_INVITATIONS} remain ({line}). "
        f"Nothing was changed: {when} (sooner for each invitation accepted); then run this phase again"
    )
