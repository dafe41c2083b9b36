"""The IAM policy language as far as SCPs and role trust policies use it: a pure evaluator (no HTTP, no moto).

One evaluator for both sides: the sandbox enforces SCPs and trust policies with it, and the kit's guardrails
preview (phase 07) judges planned SCPs with it, so the two cannot disagree.

Sources (IAM User Guide): "IAM JSON policy elements" (Effect, Action/NotAction, Resource/NotResource, Principal,
Condition), "Condition operators" (a key absent from the request context makes a condition false, except for
negated operators, which are then true, `...IfExists`, true, and `Null`), "Condition keys with multiple values"
(ForAnyValue / ForAllValues; ForAllValues is true for an absent key), "Condition with multiple keys or values"
(values of one key OR'ed, keys and operators AND'ed), "Policy evaluation logic" (an explicit Deny wins). For SCPs,
the Organizations User Guide, "SCP evaluation": a request is allowed only when every level of the account's path
(the root, each OU, the account) has an SCP allowing it and no SCP on the path denies it (`scp_refusal`). The keys a
principal brings to a request: IAM User Guide, "AWS global condition context keys" (`principal_context`).

What the evaluator cannot evaluate, `unsupported` names, so callers refuse a document instead of silently deciding
it differently from AWS. Two choices of its own, documented where they apply:
- a request whose resource the caller cannot name (`Request.resource` None) is taken to match a statement with a
  specific Resource (or any NotResource) when the statement denies, and not when it allows: the evaluator errs
  towards refusing;
- a multivalued context key (aws:PrincipalOrgPaths) under an operator without ForAnyValue/ForAllValues is matched
  as ForAnyValue (negated operators: no value may match).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

Value = str | tuple[str, ...]


class Effect(StrEnum):
    """What a document decides for a request (None from `evaluate` when no statement applies)."""

    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True)
class Request:
    """What a statement is matched against: the action, the resource, the condition context and, for trust
    policies, the identifiers a Principal element may name the caller by (account id, ARNs)."""

    action: str
    resource: str | None = None  # None: the caller cannot name the resource (see the module docstring)
    context: Mapping[str, Value] = field(default_factory=dict)  # condition keys, lower-cased
    principals: frozenset[str] = frozenset()


SUPPORTED_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalType",
        "aws:RequestedRegion",
        "aws:AssumedRoot",
        "aws:PrincipalIsAWSService",
        "aws:ViaAWSService",
        "aws:SecureTransport",
        "aws:userid",
        "aws:username",
        "sts:ExternalId",
    )
)
_TOP_ELEMENTS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_ELEMENTS = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"})
_PRINCIPAL_TYPES = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})
_QUALIFIERS = ("ForAnyValue", "ForAllValues")


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """`*` any run of characters, `?` one character, everything else literal."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """True when `value` matches `pattern` with IAM's wildcards."""
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def arn_match(pattern: str, value: str) -> bool:
    """ArnLike/ArnEquals: each of the six colon-separated parts matched on its own, wildcards allowed."""
    parts, wanted = value.split(":", 5), pattern.split(":", 5)
    if len(parts) != 6 or len(wanted) != 6:
        return glob_match(pattern, value)
    return all(glob_match(w, p) for w, p in zip(wanted, parts, strict=True))


# Base operator -> (does a request value match a policy value, is the operator negated)
_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda value, wanted: value == wanted, False),
    "StringNotEquals": (lambda value, wanted: value == wanted, True),
    "StringEqualsIgnoreCase": (lambda value, wanted: value.lower() == wanted.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda value, wanted: value.lower() == wanted.lower(), True),
    "StringLike": (lambda value, wanted: glob_match(wanted, value), False),
    "StringNotLike": (lambda value, wanted: glob_match(wanted, value), True),
    "ArnEquals": (lambda value, wanted: arn_match(wanted, value), False),
    "ArnNotEquals": (lambda value, wanted: arn_match(wanted, value), True),
    "ArnLike": (lambda value, wanted: arn_match(wanted, value), False),
    "ArnNotLike": (lambda value, wanted: arn_match(wanted, value), True),
    "Bool": (lambda value, wanted: value.lower() == wanted.lower(), False),
}


def _split_operator(operator: str) -> tuple[str, str, bool]:
    """(qualifier or "", base operator, IfExists)."""
    qualifier, _, rest = operator.rpartition(":")
    if_exists = rest.endswith("IfExists") and rest != "IfExists"
    return qualifier, rest.removesuffix("IfExists") if if_exists else rest, if_exists


def _operator_problem(operator: str) -> str | None:
    qualifier, base, if_exists = _split_operator(operator)
    if base == "Null":
        return None if not (qualifier or if_exists) else f"condition operator {operator}"
    if base not in _OPERATORS or qualifier not in ("", *_QUALIFIERS) or (qualifier and base == "Bool"):
        return f"condition operator {operator}"
    return None


def _strings(value: Any) -> tuple[str, ...]:
    """A policy value (one, or a list) as strings; JSON booleans as IAM writes them."""
    items = value if isinstance(value, list) else [value]
    return tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in items)


def condition_holds(operator: str, key: str, wanted: Any, context: Mapping[str, Value]) -> bool:
    """One operator on one key: true when the request context satisfies it."""
    qualifier, base, if_exists = _split_operator(operator)
    present = context.get(key.lower())
    values = _strings(wanted)
    if base == "Null":
        return any((present is None) == (v.lower() == "true") for v in values)
    matches, negated = _OPERATORS[base]
    if present is None:
        return if_exists or qualifier == "ForAllValues" or (negated and qualifier != "ForAnyValue")
    found = (present,) if isinstance(present, str) else present

    def hit(item: str) -> bool:
        return any(matches(item, v) for v in values) != negated

    if qualifier == "ForAllValues":
        return all(hit(item) for item in found)
    if qualifier == "ForAnyValue" or not negated:
        return any(hit(item) for item in found)
    return all(hit(item) for item in found)


def _conditions_hold(block: Mapping[str, Mapping[str, Any]], context: Mapping[str, Value]) -> bool:
    return all(condition_holds(op, key, wanted, context) for op, keys in block.items() for key, wanted in keys.items())


def _action_applies(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(glob_match(p, action, ignore_case=True) for p in _strings(statement["NotAction"]))
    return any(glob_match(p, action, ignore_case=True) for p in _strings(statement.get("Action", [])))


def _resource_applies(statement: Mapping[str, Any], resource: str | None) -> bool:
    denies = statement.get("Effect") == Effect.DENY
    if "NotResource" in statement:
        excluded = _strings(statement["NotResource"])
        if resource is None:
            return denies and "*" not in excluded
        return not any(glob_match(p, resource) for p in excluded)
    patterns = _strings(statement.get("Resource", "*"))
    if "*" in patterns:
        return True
    return denies if resource is None else any(glob_match(p, resource) for p in patterns)


def _principal_applies(statement: Mapping[str, Any], principals: frozenset[str]) -> bool:
    if "Principal" not in statement:
        return True
    named = statement["Principal"]
    if named == "*":
        return True
    return any(p == "*" or p in principals for p in _strings(named.get("AWS", []))) if isinstance(named, dict) else False


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    """True when the statement's action, resource, principal and conditions all match the request."""
    return (
        _action_applies(statement, request.action)
        and _resource_applies(statement, request.resource)
        and _principal_applies(statement, request.principals)
        and _conditions_hold(statement.get("Condition", {}), request.context)
    )


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The document's statements (IAM allows one statement object in place of a list)."""
    found = document.get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def evaluate(document: Mapping[str, Any], request: Request) -> Effect | None:
    """Deny when a Deny statement applies, else Allow when an Allow statement applies, else None."""
    effects = {s.get("Effect") for s in statements(document) if statement_applies(s, request)}
    return Effect.DENY if Effect.DENY in effects else Effect.ALLOW if Effect.ALLOW in effects else None


@lru_cache(maxsize=1024)
def parse(content: str) -> Mapping[str, Any]:
    """A policy document from its JSON text (cached: policies are read on every request; never mutate the result)."""
    document = json.loads(content)
    if not isinstance(document, dict):
        raise ValueError("a policy document is a JSON object")
    return document


def _variables(values: Iterable[str]) -> list[str]:
    return [f"policy variable in {v}" for v in values if "${" in v]


def _principal_problems(named: Any) -> list[str]:
    if named == "*":
        return []
    if not isinstance(named, dict) or not set(named) <= _PRINCIPAL_TYPES:
        return [f"Principal {json.dumps(named)}"]
    return [f"wildcard in principal {p}" for p in _strings(named.get("AWS", [])) if p != "*" and ("*" in p or "?" in p)]


def _condition_problems(block: Any) -> list[str]:
    if not isinstance(block, dict):
        return ["Condition that is not an object"]
    problems: list[str] = []
    for operator, keys in block.items():
        problem = _operator_problem(operator)
        problems += [problem] if problem else []
        if not isinstance(keys, dict):
            problems.append(f"condition operator {operator} without keys")
            continue
        for key, wanted in keys.items():
            problems += [] if key.lower() in SUPPORTED_KEYS else [f"condition key {key}"]
            problems += _variables(_strings(wanted))
    return problems


def _statement_problems(statement: Any, principal: bool) -> list[str]:
    if not isinstance(statement, dict):
        return ["Statement that is not an object"]
    allowed = _STATEMENT_ELEMENTS | ({"Principal"} if principal else set())
    problems = [f"element {name}" for name in statement if name not in allowed]
    if statement.get("Effect") not in (Effect.ALLOW, Effect.DENY):
        problems.append(f"Effect {statement.get('Effect')!r}")
    problems += _variables(_strings(statement.get("Resource", [])) + _strings(statement.get("NotResource", [])))
    if principal and "Principal" in statement:
        problems += _principal_problems(statement["Principal"])
    return problems + _condition_problems(statement.get("Condition", {}))


def unsupported(content: str, principal: bool = False) -> list[str]:
    """What the document uses that this evaluator cannot evaluate (operators, keys, elements); empty when nothing.

    `principal`: the document is a trust policy, whose statements name a Principal (SCPs have none).
    """
    try:
        document = parse(content)
    except ValueError:
        return ["a document that is not a JSON policy object"]
    problems = [f"element {name}" for name in document if name not in _TOP_ELEMENTS]
    for statement in statements(document):
        problems += _statement_problems(statement, principal)
    return sorted(set(problems))


# --- The request context of a principal, and SCPs over a member account's path

# STS API reference, GetCallerIdentity: "No permissions are required to perform this operation", even under a Deny.
SCP_EXEMPT_ACTIONS = frozenset({"sts:GetCallerIdentity"})
ROOT_PRINCIPAL_TYPE = "Account"  # aws:PrincipalType of the root user ("AWS global condition context keys")
DENY_ALL: Mapping[str, Any] = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}


def principal_context(
    principal_arn: str, account_id: str, principal_type: str, userid: str, username: str | None = None, assumed_root: bool = False
) -> dict[str, Value]:
    """The condition keys (lower-cased) every request by a principal carries, as the IAM User Guide's "AWS global
    condition context keys" lists them: aws:AssumedRoot ("true") only in a session from sts:AssumeRoot; requests
    never come from or through an AWS service and always over TLS. Region and organization keys: see
    `org_context` and aws:RequestedRegion."""
    keys: dict[str, Value] = {
        "aws:principalarn": principal_arn,
        "aws:principalaccount": account_id,
        "aws:principaltype": principal_type,
        "aws:userid": userid,
        "aws:principalisawsservice": "false",
        "aws:viaawsservice": "false",
        "aws:securetransport": "true",
    }
    if username:
        keys["aws:username"] = username
    if assumed_root:
        keys["aws:assumedroot"] = "true"
    return keys


def org_context(org_id: str, org_path: str) -> dict[str, Value]:
    """aws:PrincipalOrgID and aws:PrincipalOrgPaths (`o-id/r-id/ou-id/.../`, the account's parents) of a member."""
    return {"aws:principalorgid": org_id, "aws:principalorgpaths": (org_path,)}


def statement_label(document: Mapping[str, Any], index: int) -> str:
    """How a statement is named: its Sid, else its place in the document (`Statement[0]`)."""
    sid = statements(document)[index].get("Sid")
    return str(sid) if sid else f"Statement[{index}]"


@dataclass(frozen=True)
class ScpRefusal:
    """Why the SCPs over an account refuse a request: the level of its path (0 the root, then each OU from the top,
    the account last) and the policy and statement that deny it; `policy` None when no SCP at that level allows it."""

    level: int
    policy: str | None = None
    statement: str | None = None

    @property
    def explicit(self) -> bool:
        """True for an explicit Deny, False for a level where nothing allows."""
        return self.policy is not None


def scp_refusal(path: Sequence[Sequence[tuple[str, Mapping[str, Any]]]], request: Request) -> ScpRefusal | None:
    """Organizations' SCP evaluation of `request` over an account's path, each level its (name, document) pairs:
    an explicit Deny anywhere refuses (the first from the top is named), else a level with no Allow refuses, else
    None (allowed). Whether SCPs apply at all (a member, not the management account; not a service-linked role;
    the policy type enabled) is the caller's to decide."""
    unallowed: int | None = None
    for level, policies in enumerate(path):
        allowed = False
        for name, document in policies:
            for index, statement in enumerate(statements(document)):
                if statement_applies(statement, request):
                    if statement.get("Effect") == Effect.DENY:
                        return ScpRefusal(level, name, statement_label(document, index))
                    allowed = allowed or statement.get("Effect") == Effect.ALLOW
        if not allowed and unallowed is None:
            unallowed = level
    return None if unallowed is None else ScpRefusal(unallowed)
