"""Phase 07's parameters: the policy baseline the kit ships, custom policies, FullAWSAccess, delegated administrators.

Every baseline policy can be turned off, and its content replaced by a file (`replace`); custom policies name a file
and their targets: `root`, an OU path (`Workloads/Prod`) or an account id.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from orgnb.errors import ParameterProblem
from orgnb.input.fields import AccountId, OuPath, Region, StrictModel, invalid

ROOT_TARGET = "root"
KIT_PREFIX = "orgnb-"  # the kit's own policies' names
MANAGED_TAG = "orgnb:managed"  # on every policy phase 07 creates: detached once the parameters no longer name it
RESERVED_NAMES = frozenset({"FullAWSAccess", "RCPFullAWSAccess"})  # AWS-managed policies
# Services whose delegated administrator is set through their own API (which registers it with Organizations), per
# each service's documentation: RegisterDelegatedAdministrator alone leaves them unconfigured.
OWN_API_DELEGATION = frozenset(
    {
        "guardduty.amazonaws.com",
        "securityhub.amazonaws.com",
        "macie.amazonaws.com",
        "inspector2.amazonaws.com",
        "detective.amazonaws.com",
        "fms.amazonaws.com",
    }
)
# An IAM action as policies write it: service prefix, colon, action name (wildcards allowed).
_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*?]+$")
# _target's rule as a JSON Schema pattern: not blank, no '/' at either end, no '//' (root and account ids pass it)
_TARGET_PATTERN = r"^(?=[\s\S]*\S)(?!/)(?![\s\S]*//)[\s\S]*[^/]$"
_ONE_SEGMENT = r"^[^/]+$"
# Organizations CreatePolicy's Name: 1-128 characters (botocore's model: "[\s\S]*"); the kit keeps to a portable subset.
_POLICY_NAME = r"^[A-Za-z0-9][A-Za-z0-9 ._+=@-]{0,127}$"
# botocore's ServicePrincipal pattern for RegisterDelegatedAdministrator.
_SERVICE_PRINCIPAL = r"^[\w+=,.@-]*$"


def _target(value: str) -> str:
    if value == ROOT_TARGET or re.fullmatch(r"\d{12}", value):
        return value
    if value.startswith("/") or value.endswith("/") or "//" in value or not value.strip():
        raise invalid(f"target {value!r} is not root, an account id or an OU path", "write root, '123456789012' or Workloads/Prod")
    return value


def _action(value: str) -> str:
    if not _ACTION.match(value):
        raise invalid(f"{value!r} is not an IAM action", "write it as service:Action, e.g. s3:GetObject or iam:*")
    return value


Target = Annotated[str, Field(min_length=1), AfterValidator(_target), Field(json_schema_extra={"pattern": _TARGET_PATTERN})]
Action = Annotated[str, AfterValidator(_action), Field(json_schema_extra={"pattern": _ACTION.pattern})]
PolicyName = Annotated[str, Field(pattern=_POLICY_NAME)]


class PolicyKind(StrEnum):
    """The policy types phase 07 manages (Organizations' PolicyType)."""

    SCP = "SERVICE_CONTROL_POLICY"
    RCP = "RESOURCE_CONTROL_POLICY"
    AI_OPT_OUT = "AISERVICES_OPT_OUT_POLICY"
    TAG = "TAG_POLICY"
    DECLARATIVE_EC2 = "DECLARATIVE_POLICY_EC2"


# Organizations User Guide, "Declarative policy syntax and examples": an EC2 declarative policy's one top-level key.
DECLARATIVE_TOP_KEY = "ec2_attributes"


class Baseline(StrEnum):
    """The policies the kit ships (orgnb/phases/guardrails/policies/<name>.json)."""

    DENY_LEAVE = "deny-leave"
    DENY_ROOT_USER = "deny-root-user"
    PROTECT_MEMBER_ROLE = "protect-member-role"
    ALLOWED_REGIONS = "allowed-regions"
    REQUIRE_TLS = "require-tls"
    AI_OPT_OUT = "ai-opt-out"


class BaselineParams(StrictModel):
    """Which of the shipped policies to attach (the first three are on unless turned off)."""

    deny_leave: bool = Field(True, description="deny LeaveOrganization to every member outside the transition OU")
    transition_ou: Annotated[OuPath, Field(pattern=_ONE_SEGMENT, json_schema_extra={"allOf": [{"pattern": _ONE_SEGMENT}]})] = Field(
        "Transition", description="the OU directly under the root whose accounts may leave (created when missing)"
    )
    deny_root_user: bool = Field(True, description="deny member root users, except in AssumeRoot sessions")
    protect_member_role: bool = Field(True, description="deny changes to OrganizationAccountAccessRole except by the role itself")
    allowed_regions: list[Region] = Field(default_factory=list, description="deny requests outside these regions (off when empty)")
    require_tls: bool = Field(False, description="an RCP denying requests without TLS to the resources RCPs cover")
    ai_opt_out: bool = Field(False, description="opt every account out of AI services' use of its content")
    replace: dict[Baseline, str] = Field(default_factory=dict, description="a shipped policy's content replaced by a JSON file")


class CustomPolicy(StrictModel):
    """A policy of the organization's own, from a file, attached where the parameters say."""

    name: PolicyName = Field(  # _names_are_the_kits_to_give, for parameters/schema.json
        json_schema_extra={"not": {"anyOf": [{"enum": [*sorted(RESERVED_NAMES)]}, {"pattern": f"^{KIT_PREFIX}"}]}}
    )
    file: str = Field(min_length=1, description="the policy document (JSON), relative to the parameters file")
    type: PolicyKind = PolicyKind.SCP
    targets: list[Target] = Field(min_length=1)
    description: str = Field("", max_length=512)


class GuardrailsParams(StrictModel):
    """Phase 07: the organization's policy baseline, previewed against the kit's own operations before any write."""

    baseline: BaselineParams = Field(default_factory=BaselineParams)
    custom: list[CustomPolicy] = Field(default_factory=list)
    detach_full_aws_access: list[Target] = Field(
        default_factory=list, description="targets FullAWSAccess is detached from (never the root while nothing else allows)"
    )
    delegated_administrators: dict[
        Annotated[str, Field(pattern=_SERVICE_PRINCIPAL, json_schema_extra={"not": {"enum": sorted(OWN_API_DELEGATION)}})], AccountId
    ] = Field(default_factory=dict, description="service principal: the member account that administers it")
    extra_actions: list[Action] = Field(default_factory=list, description="actions of your own (a CI role's) the preview checks")
    acknowledged: list[str] = Field(
        default_factory=list, description="preview denials accepted, by the id the plan shows (policy/action/principal)"
    )

    @model_validator(mode="after")
    def _names_are_the_kits_to_give(self) -> GuardrailsParams:
        names = [c.name for c in self.custom]
        taken = [n for n in names if n in RESERVED_NAMES or n.startswith(KIT_PREFIX)]
        if taken:
            raise invalid(f"custom policy name(s) {', '.join(taken)} belong to AWS or to the kit", "choose another name")
        if len(set(names)) != len(names):
            raise invalid("two custom policies share a name", "give each custom policy a name of its own")
        own_api = sorted(set(self.delegated_administrators) & OWN_API_DELEGATION)
        if own_api:
            raise invalid(
                f"{', '.join(own_api)} delegate(s) administration through the service's own API, not Organizations'",
                "use that service's console or API (e.g. guardduty enable-organization-admin-account), and remove it here",
            )
        return self


def _policy_file_problem(path: Path, field: str, kind: PolicyKind | None = None) -> ParameterProblem | None:
    """What is wrong with a policy file, if anything: it must be a JSON object (of its type's syntax, where the kit
    knows it)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ParameterProblem(field, f"{path} does not exist", "give the path of a JSON policy file, relative to the parameters file")
    except (OSError, ValueError) as exc:
        return ParameterProblem(field, f"{path} is not a readable JSON policy ({exc})", "fix the file: a JSON policy document")
    if not isinstance(document, dict):
        return ParameterProblem(field, f"{path} holds no JSON object", 'write a policy document: {"Version": "2012-10-17", ...}')
    if kind is PolicyKind.DECLARATIVE_EC2 and set(document) != {DECLARATIVE_TOP_KEY}:
        return ParameterProblem(
            field,
            f"{path} is not an EC2 declarative policy: its top level must be {DECLARATIVE_TOP_KEY!r} alone",
            f'write {{"{DECLARATIVE_TOP_KEY}": {{...}}}}, as the Organizations User Guide\'s declarative policy syntax shows',
        )
    return None


def with_policy_files(guardrails: GuardrailsParams, folder: Path) -> tuple[GuardrailsParams, list[ParameterProblem]]:
    """The section with every policy file made absolute (relative ones are the parameters file's `folder`'s), and the
    problems of the files that are missing or not JSON policies."""
    problems: list[ParameterProblem] = []

    def resolve(name: str, field: str, kind: PolicyKind | None = None) -> str:
        path = Path(name) if Path(name).is_absolute() else folder / name
        problem = _policy_file_problem(path, field, kind)
        problems.extend([problem] if problem else [])
        return str(path.resolve())

    custom = [
        c.model_copy(update={"file": resolve(c.file, f"guardrails.custom[{i}].file", c.type)}) for i, c in enumerate(guardrails.custom)
    ]
    replaced = {k: resolve(v, f"guardrails.baseline.replace.{k.value}") for k, v in guardrails.baseline.replace.items()}
    baseline = guardrails.baseline.model_copy(update={"replace": replaced})
    return guardrails.model_copy(update={"custom": custom, "baseline": baseline}), problems
