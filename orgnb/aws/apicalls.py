"""Which AWS operations change state, shared by the call counter and the sandbox's call log."""

from __future__ import annotations

_READ_PREFIXES = ("Describe", "List", "Get", "Search", "Lookup", "Head", "Check", "Preview")
# Operations that read or mint short-lived credentials but change nothing in the account.
_NON_MUTATING = frozenset({"AssumeRole", "AssumeRoot", "AssumeRoleWithWebIdentity", "DecodeAuthorizationMessage"})


def is_write(operation: str) -> bool:
    """True when the AWS operation (e.g. `CreateOrganization`) may change state."""
    return not (operation.startswith(_READ_PREFIXES) or operation in _NON_MUTATING)
