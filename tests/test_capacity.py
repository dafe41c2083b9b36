"""The account quota and the daily invitation limit, counted as AWS counts them, and the plans they refuse."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from orgnb.aws.capacity import (
    DAILY_INVITATIONS,
    AccountQuota,
    QuotaInventory,
    check_account_quota,
    check_invitation_limit,
    invitations_today,
)
from orgnb.aws.inventory import CallerIdentity, CreateRequest, HandshakeRecord, Organization
from orgnb.aws.treewalk import Account
from orgnb.errors import AccountQuotaExceeded, ExitCode, InvitationLimitReached, PreflightRefused, exit_code_for
from orgnb.input.parameters import load_parameters
from orgnb.phases.migration import MigrationInventory, MigrationState, MovingAccount, plan_migration
from tests.estates import BROWNFIELD

MGMT, STANDALONE = "111122223333", "222233334444"
NOW = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)
ORG = Organization("o-new0000000", "arn", "ALL", MGMT, "aws+management-account@example.com")


def account(n: int, state: str = "ACTIVE") -> Account:
    account_id = MGMT if n == 0 else f"{900000000000 + n}"
    return Account(account_id, "arn", f"a{n}", f"a{n}@example.com", state, "CREATED", NOW, "r-abcd", "")


def invitation(n: int, state: str = "OPEN", age: timedelta = timedelta(hours=1), now: datetime = NOW) -> HandshakeRecord:
    return HandshakeRecord(f"h-{n:08d}", "INVITE", state, f"{800000000000 + n}", "", now - age, now - age + timedelta(days=15))


def inventory(accounts: int, quota: int = 10, **fields: object) -> QuotaInventory:
    caller = CallerIdentity(MGMT, f"arn:aws:iam::{MGMT}:user/operator", "AIDA")
    found = tuple(account(n) for n in range(accounts))
    return QuotaInventory(caller, ORG, accounts=found, account_quota=AccountQuota(quota, "Service Quotas"), **fields)  # type: ignore[arg-type]


def test_everything_aws_counts_is_counted_and_the_refusal_names_the_quota_and_the_value_to_ask_for() -> None:
    """Accounts (the management account and the closed ones included), open invitations and creations under way."""
    closed = (account(0), account(1, "SUSPENDED"), account(2, "PENDING_CLOSURE"), account(3))
    handshakes = (invitation(1), invitation(2, "DECLINED"), invitation(3, "ACCEPTED"))
    requests = (CreateRequest("car-1", "x", "IN_PROGRESS", "", "", NOW), CreateRequest("car-2", "y", "FAILED", "", "EMAIL", NOW))
    inv = replace(inventory(0), accounts=closed, handshakes=handshakes, create_requests=requests)
    assert "= 10 of 'Default maximum number of accounts' (L-E619E033) = 10, from Service Quotas" in check_account_quota(inv, 4, "to create")
    with pytest.raises(AccountQuotaExceeded) as refused:
        check_account_quota(inv, 5, "to create")
    message = str(refused.value)
    assert "4 account(s) (the management account and 2 closed included) + 1 open invitation(s)" in message
    assert "1 CreateAccount request(s) in progress + 5 to create = 11 of 'Default maximum number of accounts' (L-E619E033) = 10" in message
    assert "--service-code organizations --quota-code L-E619E033 --desired-value 11" in message
    assert exit_code_for(type(refused.value).__name__) == ExitCode.REFUSED
    # a request the plan adopts is one of the accounts it adds, not one more
    assert check_account_quota(inv, 5, "to create", frozenset({"car-1"}))


def test_an_unreadable_quota_allows_the_default_and_past_it_asks_for_the_permission_not_an_increase() -> None:
    unread = AccountQuota(10, "AWS's default (Service Quotas not readable: AccessDenied)", read=False)
    fallback = replace(inventory(9), account_quota=unread)
    assert "from AWS's default (Service Quotas not readable: AccessDenied)" in check_account_quota(fallback, 1, "to create")
    with pytest.raises(PreflightRefused, match=r"allow servicequotas:GetServiceQuota \(region us-east-1\)") as refused:
        check_account_quota(fallback, 2, "to create")
    assert not isinstance(refused.value, AccountQuotaExceeded), "the quota may be higher: it was not read"
    assert check_account_quota(fallback, 0, "to create") == ""  # nothing added, nothing to check


def test_the_days_invitations_count_all_but_the_accepted_and_the_older() -> None:
    sent = [invitation(n, state, timedelta(hours=20 - n)) for n, state in enumerate(["OPEN", "DECLINED", "CANCELED", "ACCEPTED"])]
    sent.append(invitation(9, "DECLINED", timedelta(hours=25)))
    assert invitations_today(tuple(sent), NOW) == [NOW - timedelta(hours=20), NOW - timedelta(hours=19), NOW - timedelta(hours=18)]


def test_a_plan_needing_more_invitations_than_remain_is_refused_saying_when_places_free_up() -> None:
    sent = tuple(invitation(n, "OPEN" if n % 2 else "DECLINED", timedelta(hours=23, minutes=50 - n)) for n in range(DAILY_INVITATIONS - 2))
    inv = inventory(1, quota=100, handshakes=sent + (invitation(99, "ACCEPTED"),))
    assert "18 of 20 a day used" in check_invitation_limit(inv, 2, NOW)
    with pytest.raises(InvitationLimitReached) as refused:
        check_invitation_limit(inv, 4, NOW)
    message = str(refused.value)
    oldest = NOW - timedelta(hours=23, minutes=50)  # 2026-03-02 12:10:30 UTC the day after: rounded up, never early
    assert "only 2 of the daily limit of 20 remain" in message and "18 of 20 a day used" in message
    assert f"next one frees up at {oldest + timedelta(days=1, seconds=30):%Y-%m-%d %H:%M} UTC" in message
    assert f"room for all 4 at {oldest + timedelta(days=1, minutes=1, seconds=30):%Y-%m-%d %H:%M} UTC" in message
    with pytest.raises(InvitationLimitReached, match="no day allows 21"):
        check_invitation_limit(inventory(1, quota=100), DAILY_INVITATIONS + 1, NOW)
    assert exit_code_for("InvitationLimitReached") == ExitCode.REFUSED


def _standalone_to_invite(inv: QuotaInventory) -> MigrationInventory:
    spec = load_parameters(BROWNFIELD).invites[0]
    assert spec.account_id == STANDALONE
    moving = MigrationState((MovingAccount("invites[0]", spec, "standalone"),))
    return inv.extended(MigrationInventory, migration=moving, account_quota=inv.account_quota)


def test_phase_05_refuses_invitations_past_the_account_quota_or_the_days_limit() -> None:
    params = load_parameters(BROWNFIELD)
    plan = plan_migration(params, _standalone_to_invite(inventory(9)))
    assert f"invite:{STANDALONE}" in [s.id for s in plan.steps]
    assert any(n.startswith("account quota: 9 account(s)") and "+ 1 to invite = 10 of" in n for n in plan.notes)
    with pytest.raises(AccountQuotaExceeded, match="--desired-value 11"):
        plan_migration(params, _standalone_to_invite(inventory(10)))
    with pytest.raises(AccountQuotaExceeded, match="1 open invitation"):  # an invitation to another account holds a place
        plan_migration(params, _standalone_to_invite(inventory(9, handshakes=(invitation(1),))))
    today = tuple(invitation(n, "DECLINED", timedelta(minutes=n + 1), datetime.now(UTC)) for n in range(DAILY_INVITATIONS))
    with pytest.raises(InvitationLimitReached, match="only 0 of the daily limit of 20 remain"):
        plan_migration(params, _standalone_to_invite(inventory(2, handshakes=today)))
