"""AWS's documented input rules, checked locally so bad input fails before any AWS call.

Sources: the botocore service models (`organizations` CreateAccount, `account` PutAccountName) and the
CreateAccount documentation's email rules (Organizations API reference, CreateAccount: Email) and Account
Management's (StartPrimaryEmailUpdate: PrimaryEmail, PutAlternateContact: EmailAddress). Domains follow the DNS
host-name rules, stricter than CreateAccount's Email pattern (`[^\\s@]+@[^\\s@]+\\.[^\\s@]+`, 6 to 64 characters).
"""

from __future__ import annotations

import re
from collections.abc import Callable

EMAIL_MIN_LENGTH = 6
EMAIL_MAX_LENGTH = 64
ACCOUNT_NAME_MAX_LENGTH = 50
OU_NAME_MAX_LENGTH = 128
OU_MAX_DEPTH = 5  # Organizations allows five levels of OUs below the root
DOMAIN_MAX_LENGTH = 253  # RFC 1035 §2.3.4: 255 octets on the wire, 253 characters written out
LABEL_MAX_LENGTH = 63  # RFC 1035 §2.3.4
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = rf"(?:{_LABEL}\.)+{_LABEL}"
_LOCAL_PART_FORBIDDEN = set("\"'()<>[]:;,\\|%&")


def _ascii_class(allowed: Callable[[str], bool]) -> str:
    """A regular expression's class of the ASCII characters `allowed` accepts: runs of letters, digits or control
    characters as ranges, other characters one by one; control characters and \\ [ ] ^ - written \\xHH, which
    ECMA-262 and Python read alike."""

    def kind(ch: str) -> str:
        return (
            "digit" if ch.isdigit() else "upper" if ch.isupper() else "lower" if ch.islower() else "control" if not ch.isprintable() else ch
        )

    def written(ch: str) -> str:
        return f"\\x{ord(ch):02x}" if not ch.isprintable() or ch in "\\[]^-" else ch

    runs: list[list[str]] = []
    for ch in filter(allowed, map(chr, range(128))):
        if runs and kind(runs[-1][-1]) == kind(ch) and ord(runs[-1][-1]) == ord(ch) - 1:
            runs[-1].append(ch)
        else:
            runs.append([ch])
    return "[" + "".join(f"{written(run[0])}-{written(run[-1])}" if len(run) > 2 else "".join(map(written, run)) for run in runs) + "]"


# The rules below as JSON Schema patterns (ECMA-262 syntax that Python's re reads alike), for parameters/schema.json:
# the *_problems functions name the rule a value breaks; a pattern only says that it breaks one.
# DNS label rules (domain_problems)
DOMAIN_PATTERN = rf"^{_DOMAIN}$"
# CreateAccount's root email (email_problems; its length, 6 to 64, is the schema's minLength and maxLength): a local
# part of ASCII without white space, '@' or _LOCAL_PART_FORBIDDEN, not starting with '.', then a domain
_LOCAL_CHARACTER = _ascii_class(lambda ch: not ch.isspace() and ch != "@" and ch not in _LOCAL_PART_FORBIDDEN)
EMAIL_PATTERN = rf"^(?!\.){_LOCAL_CHARACTER}+@{_DOMAIN}$"
# PutAlternateContact's EmailAddress pattern (botocore `account` model: [\w+=.#|!&-]+@[\w.-]+\.[\w]+, \w as ASCII),
# without its optional surrounding white space
ALTERNATE_CONTACT_EMAIL_PATTERN = r"^[A-Za-z0-9_+=.#|!&-]+@[A-Za-z0-9_.-]+\.[A-Za-z0-9_]+$"
# CreateAccount's and PutAccountName's account name (account_name_problems; 1 to 50 is minLength and maxLength):
# printable ASCII (space to '~') without '<' or '>'
ACCOUNT_NAME_PATTERN = r"^[ -;=?-~]*$"
# An OU path (ou_path_problems): one to OU_MAX_DEPTH segments of 1 to OU_NAME_MAX_LENGTH characters, none blank, the
# first not 'Root'
_OU_SEGMENT = rf"(?=[^/]*[^/\s])[^/]{{1,{OU_NAME_MAX_LENGTH}}}"
OU_PATH_PATTERN = rf"^(?![Rr][Oo][Oo][Tt](?:/|$)){_OU_SEGMENT}(?:/{_OU_SEGMENT}){{0,{OU_MAX_DEPTH - 1}}}$"

_DOMAIN_CHARACTERS = re.compile(r"[A-Za-z0-9.-]")
_ALTERNATE_CONTACT_EMAIL = re.compile(ALTERNATE_CONTACT_EMAIL_PATTERN)
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
    else:
        problems += [f"domain {issue}" for issue in domain_problems(domain)]
    return problems


def domain_problems(domain: str) -> list[str]:
    """Every way `domain` breaks the DNS host-name rules (empty when valid).

    RFC 1035 §2.3.1: dot-separated labels of letters, digits and hyphens, each beginning and ending with a letter or
    digit (RFC 1123 §2.1 allows the leading digit), of 1 to 63 characters; at most 253 characters in all (§2.3.4).
    At least two labels: CreateAccount's Email needs a dot after the '@'.
    """
    problems: list[str] = []
    if len(domain) > DOMAIN_MAX_LENGTH:
        problems.append(f"is {len(domain)} characters; a domain name has at most {DOMAIN_MAX_LENGTH}")
    bad = sorted(set(_DOMAIN_CHARACTERS.sub("", domain)))
    if bad:
        problems.append(f"contains {' '.join(map(repr, bad))}; a domain name has only letters, digits, '-' and '.'")
    labels = domain.split(".")
    if "" in labels:
        problems.append("has an empty label (a '.' at either end, or two in a row)")
    problems += [
        f"has a label of {len(label)} characters ({label[:12]}...); a label has at most {LABEL_MAX_LENGTH}"
        for label in labels
        if len(label) > LABEL_MAX_LENGTH
    ]
    problems += [f"has the label {label!r}, which starts or ends with '-'" for label in labels if label[:1] == "-" or label[-1:] == "-"]
    if len(labels) < 2:
        problems.append("has a single label; AWS needs at least two, e.g. example.com")
    return problems


def alternate_contact_email_problems(email: str) -> list[str]:
    """Every way `email` breaks PutAlternateContact's EmailAddress pattern, beyond email_problems (empty when valid)."""
    if _ALTERNATE_CONTACT_EMAIL.fullmatch(email):
        return []
    return ["does not match PutAlternateContact's pattern (local part of letters, digits and _ + = . # ! -; last domain label without '-')"]


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
