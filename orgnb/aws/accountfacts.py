"""What an account says about itself: name, contact information, alternate contacts, root credential summary.

Read in the standalone context (no AccountId), which works for any account before and after it joins an
Organization. Anything the credentials may not read is listed in `unreadable` rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from orgnb.aws.session import AwsContext

ALTERNATE_CONTACT_TYPES = ("BILLING", "OPERATIONS", "SECURITY")
_NOT_FOUND = {"ResourceNotFoundException", "NoSuchEntity"}


@dataclass(frozen=True)
class AccountFacts:
    """An account's own view of itself (None where unset; names in `unreadable` could not be read)."""

    account_id: str
    name: str | None
    contact_information: dict[str, str] | None
    alternate_contacts: dict[str, dict[str, str] | None]
    root_mfa: bool | None
    root_access_keys: bool | None
    unreadable: tuple[str, ...] = ()


def _read(call: Any, unreadable: list[str], label: str) -> Any:
    try:
        return call()
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in _NOT_FOUND:
            unreadable.append(f"{label} ({exc.response['Error']['Code']})")
        return None


def read_account_facts(ctx: AwsContext, account_id: str) -> AccountFacts:
    """Read `account_id`'s facts through `ctx`, which must act inside that account."""
    account = ctx.client("account")
    unreadable: list[str] = []
    info = _read(account.get_account_information, unreadable, "account name")
    contact = _read(account.get_contact_information, unreadable, "contact information")
    alternates = {}
    for kind in ALTERNATE_CONTACT_TYPES:
        got = _read(lambda kind=kind: account.get_alternate_contact(AlternateContactType=kind), unreadable, f"{kind.lower()} contact")
        alternates[kind] = {k: v for k, v in got["AlternateContact"].items() if k != "AlternateContactType"} if got else None
    summary = _read(ctx.client("iam").get_account_summary, unreadable, "account summary")
    summary_map = summary["SummaryMap"] if summary else {}
    return AccountFacts(
        account_id=account_id,
        name=info["AccountName"] if info else None,
        contact_information=contact["ContactInformation"] if contact else None,
        alternate_contacts=alternates,
        root_mfa=bool(summary_map["AccountMFAEnabled"]) if summary else None,
        root_access_keys=bool(summary_map["AccountAccessKeysPresent"]) if summary else None,
        unreadable=tuple(unreadable),
    )
