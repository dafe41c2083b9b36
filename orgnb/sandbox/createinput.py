"""CreateAccount's input, checked as Organizations checks it (botocore's CreateAccountRequest shapes and documentation).

botocore checks only required members, types and minimum lengths on the client; the service checks the rest and
answers InvalidInputException with one of the reasons its documentation lists:
- a member longer than its shape allows: MAX_LENGTH_EXCEEDED (AccountName 50, Email 64, RoleName 64, tag keys 128,
  tag values 256); shorter: MIN_LENGTH_EXCEEDED;
- a member that does not match its shape's pattern: INVALID_PATTERN (Email `[^\\s@]+@[^\\s@]+\\.[^\\s@]+`,
  AccountName printable ASCII `[\\u0020-\\u007E]+`, RoleName `[\\w+=,.@-]{1,64}`; the model's patterns are matched
  against the whole value, as Java's `matches` does);
- IamUserAccessToBilling other than ALLOW or DENY: INVALID_ENUM;
- a RoleName beginning with AWSServiceRoleFor: INVALID_ROLE_NAME ("A role name can't begin with the reserved prefix
  AWSServiceRoleFor");
- a tag key beginning with `aws:`: INVALID_SYSTEM_TAGS_PARAMETER; a key given twice: DUPLICATE_TAG_KEY.

An Email that matches the shape's pattern but breaks one of the rules the Email member's documentation lists
(7-bit ASCII; no whitespace or `" ' ( ) < > [ ] : ; , \\ | % &` in the local name, which may not begin with a dot;
a domain of letters, digits, hyphens and dots that neither begins nor ends with a hyphen or a dot) is accepted,
and the request ends FAILED with INVALID_EMAIL ("The account could not be created because the email address you
provided is not valid"): the shape's constraint is what the API checks on receipt, the documented rules what
account creation checks. AWS does not document which of the two refuses such an address; this split uses both the
modeled error and the modeled FailureReason for what each describes.
"""

from __future__ import annotations

import re
from typing import Any

from orgnb.sandbox.exceptions import OrgInvalidInput

RESERVED_ROLE_PREFIX = "AWSServiceRoleFor"
BILLING_ACCESS = ("ALLOW", "DENY")
# (member, minimum length, maximum length, pattern matched against the whole value)
_STRING_MEMBERS = (
    ("Email", 6, 64, re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")),
    ("AccountName", 1, 50, re.compile(r"[\x20-\x7e]+")),
    ("RoleName", 1, 64, re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)),
)
_LOCAL_FORBIDDEN = set("\"'()<>[]:;,\\|%&")
_DOMAIN = re.compile(r"[A-Za-z0-9.-]+")


def _length_and_pattern(name: str, value: str, low: int, high: int, pattern: re.Pattern[str] | None = None) -> None:
    if len(value) < low:
        raise OrgInvalidInput("MIN_LENGTH_EXCEEDED", f"{name} must be at least {low} characters long.")
    if len(value) > high:
        raise OrgInvalidInput("MAX_LENGTH_EXCEEDED", f"{name} must be at most {high} characters long.")
    if pattern is not None and not pattern.fullmatch(value):
        raise OrgInvalidInput("INVALID_PATTERN", f"{name} doesn't match the required pattern {pattern.pattern}.")


def _check_tags(tags: list[dict[str, Any]]) -> None:
    keys = [str(tag.get("Key", "")) for tag in tags]
    for key, tag in zip(keys, tags, strict=True):
        _length_and_pattern("Tag key", key, 1, 128)
        _length_and_pattern("Tag value", str(tag.get("Value", "")), 0, 256)
        if key.lower().startswith("aws:"):
            raise OrgInvalidInput("INVALID_SYSTEM_TAGS_PARAMETER", f"The tag key {key} is reserved for AWS use.")
    if len(set(keys)) != len(keys):
        raise OrgInvalidInput("DUPLICATE_TAG_KEY", "Tag keys must be unique among the tags attached to the same entity.")


def check_request(request: dict[str, Any]) -> None:
    """Raise InvalidInputException for a CreateAccount request the service refuses on receipt."""
    for name, low, high, pattern in _STRING_MEMBERS:
        if request.get(name) is not None:
            _length_and_pattern(name, str(request[name]), low, high, pattern)
    if str(request.get("RoleName") or "").startswith(RESERVED_ROLE_PREFIX):
        raise OrgInvalidInput("INVALID_ROLE_NAME", f"A role name can't begin with the reserved prefix {RESERVED_ROLE_PREFIX}.")
    billing = request.get("IamUserAccessToBilling")
    if billing is not None and billing not in BILLING_ACCESS:
        raise OrgInvalidInput("INVALID_ENUM", "IamUserAccessToBilling must be ALLOW or DENY.")
    _check_tags(list(request.get("Tags") or []))


def email_is_valid(email: str) -> bool:
    """False when `email` breaks one of the rules CreateAccount's Email documentation lists (then the request FAILS
    with INVALID_EMAIL)."""
    if not email.isascii() or email.count("@") != 1:
        return False
    local, domain = email.split("@")
    if local.startswith(".") or any(c.isspace() or c in _LOCAL_FORBIDDEN for c in local):
        return False
    return bool(_DOMAIN.fullmatch(domain)) and "." in domain and domain[0] not in "-." and domain[-1] not in "-."
