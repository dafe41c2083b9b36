"""AWS's documented input rules, checked locally so bad input fails before any AWS call.

Sources: the botocore service models (`organizations` CreateAccount, `account` PutAccountName) and the
CreateAccount documentation's email rules (Organizations API reference, CreateAccount: Email) and Account
Management's (StartPrimaryEmailUpdate: PrimaryEmail).
"""

from __future__ import annotations

import re

EMAIL_MIN_LENGTH = 6
EMAIL_MAX_LENGTH = 64
ACCOUNT_NAME_MAX_LENGTH = 50
OU_NAME_MAX_LENGTH = 128
OU_MAX_DEPTH = 5  # Organizations allows five levels of OUs below the root

_LOCAL_PART_FORBIDDEN = set("\"'()<>[]:;,\\|%&")
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]+$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")


def email_problems(email: str) -> list[str]:
    """Every way `email` breaks AWS's rules for an account's root email (empty when valid)."""
    problems: list[str] = []
    if not EMAIL_MIN_LENGTH <= len(email) <= EMAIL_MAX_LENGTH:
        problems.append(f"is {len(email)} characters; AWS accepts {EMAIL_MIN_LENGTH} to {EMAIL_MAX_LENGTH}")
    if not email.isascii():
        problems.append("contains non-ASCII characters; AWS accepts 7-bit ASCII only")
    if email.count("@") != 1:
        problems.append("must contain exactly one '@'")
        return problems
    local, domain = email.split("@")
    if not local:
        problems.append("has an empty local part (before '@')")
    if any(ch.isspace() for ch in email):
        problems.append("contains white space")
    bad = sorted(set(local) & _LOCAL_PART_FORBIDDEN)
    if bad:
        problems.append(f"local part contains {' '.join(bad)}, which AWS refuses")
    if local.startswith("."):
        problems.append("local part starts with '.'")
    if not domain:
        problems.append("has an empty domain (after '@')")
    elif not _DOMAIN.match(domain):
        problems.append("domain may contain only letters, digits, '-' and '.'")
    elif domain[0] in "-." or domain[-1] in "-.":
        problems.append("domain may not start or end with '-' or '.'")
    elif "." not in domain:
        problems.append("domain must contain at least one '.'")
    return problems


def account_name_problems(name: str) -> list[str]:
    """Every way `name` breaks CreateAccount's and PutAccountName's rules (empty when valid)."""
    problems: list[str] = []
    if not 1 <= len(name) <= ACCOUNT_NAME_MAX_LENGTH:
        problems.append(f"is {len(name)} characters; AWS accepts 1 to {ACCOUNT_NAME_MAX_LENGTH}")
    if any(not (0x20 <= ord(ch) <= 0x7E) for ch in name):
        problems.append("contains characters outside printable ASCII")
    if "<" in name or ">" in name:
        problems.append("contains '<' or '>', which PutAccountName refuses")
    return problems


def ou_path_problems(path: str) -> list[str]:
    """Every way an OU path such as `Workloads/Prod` is malformed (empty when valid)."""
    parts = path.split("/")
    problems: list[str] = []
    if any(not part.strip() for part in parts):
        problems.append("has an empty segment (no leading, trailing or doubled '/')")
    if len(parts) > OU_MAX_DEPTH:
        problems.append(f"is {len(parts)} levels deep; Organizations allows {OU_MAX_DEPTH}")
    if any(len(part) > OU_NAME_MAX_LENGTH for part in parts):
        problems.append(f"has a segment longer than {OU_NAME_MAX_LENGTH} characters")
    if parts and parts[0].lower() == "root":
        problems.append("starts with 'Root'; paths are relative to the root")
    return problems


def is_account_id(value: str) -> bool:
    """True when `value` is a 12-digit AWS account id."""
    return bool(_ACCOUNT_ID.match(value))
