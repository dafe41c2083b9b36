"""The parameters model: one YAML file per organization, validated before any AWS call.

`load_parameters` reads a file (refusing a key written twice, see orgnb.input.yamlread), validates it against `Parameters`
and runs the cross-field checks (planned root emails valid and unique, account ids unique); every problem names the
field and the fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import ConfigDict, Field, ValidationError, model_validator
from pydantic.config import JsonDict

from orgnb.aws.pacing import ORGANIZATIONS_CALLS_PER_SECOND
from orgnb.errors import ParameterError, ParameterProblem
from orgnb.input import awsrules
from orgnb.input.fields import (
    SECRET,
    AccountId,
    AccountName,
    AlternateContactEmail,
    Domain,
    Email,
    OuPath,
    Region,
    Slug,
    StrictModel,
    Text,
    invalid,
)
from orgnb.input.guardrails import GuardrailsParams, with_policy_files
from orgnb.input.yamlread import Duplicate, DuplicateKeyError, field_path, load_yaml

# Account Management requires StateOrRegion for these countries.
STATE_REQUIRED_COUNTRIES = frozenset({"US", "CA", "GB", "DE", "JP", "IN", "BR"})


class ManualId(StrEnum):
    """Console-only or human steps that an operator attests to (shown MANUAL until attested)."""

    CREDITS_DISCUSSED = "credits_discussed"
    FINANCE_INFORMED = "finance_informed"
    EMAIL_ALIAS_READY = "email_alias_ready"
    TEST_EMAILS_RECEIVED = "test_emails_received"
    ROOT_CREDENTIALS_IN_VAULT = "root_credentials_in_vault"
    MEMBER_ROOT_UNUSED = "member_root_unused"
    CONTROL_TOWER_DECISION = "control_tower_decision"
    # what a transfer out of an old organization breaks, where phase 05 cannot read it (orgnb.aws.transfer_impact)
    TRANSFER_RAM_REVIEWED = "transfer_ram_reviewed"
    TRANSFER_STACKSETS_REVIEWED = "transfer_stacksets_reviewed"
    TRANSFER_IDENTITY_CENTER_REVIEWED = "transfer_identity_center_reviewed"
    TRANSFER_DELEGATED_ADMINS_REVIEWED = "transfer_delegated_admins_reviewed"
    TRANSFER_POLICIES_REVIEWED = "transfer_policies_reviewed"


class Attestation(StrictModel):
    """Who confirmed a MANUAL item, when, and anything a reviewer should know."""

    by: Text = Field(description="who attests (name or email)")
    at: date | datetime = Field(description="when, as an ISO date or timestamp")
    note: str = Field("", max_length=1024, description="free text for the reviewer")


class OrganizationParams(StrictModel):
    """The management account the runbook acts from, and how to reach it."""

    management_account_id: AccountId = Field(description="12-digit id of the management account (quoted)")
    region: Region = Field("us-east-1", description="region for regional endpoints (STS)")
    profile: str | None = Field(None, min_length=1, description="AWS profile of the management account")
    management_account_name: AccountName = Field("Management Account", description="standard name of the management account")
    management_slug: Slug = Field("management-account", description="slug of the management account's root email")
    organizations_calls_per_second: float = Field(
        ORGANIZATIONS_CALLS_PER_SECOND,
        gt=0,
        le=1000,
        description="most Organizations calls a second the OU tree walk sends (AWS publishes no rate: the default is a "
        "conservative figure; raise it when your account is known to allow more, lower it when other tools share it)",
    )


class RootEmailParams(StrictModel):
    """Plus-addressed root emails: `<local_part>+<slug>@<domain>`."""

    local_part: Annotated[
        str,
        # the schema refuses a leading '.' here; validation refuses it in each planned email (consistency_problems)
        Field(pattern=r"^[A-Za-z0-9._-]+$", json_schema_extra={"pattern": r"^(?!\.)[A-Za-z0-9._-]+$"}),
        Field(description="mailbox or group alias, e.g. aws"),
    ]
    domain: Domain = Field(description="DNS domain of the mailbox, e.g. example.com")

    def address(self, slug: str) -> str:
        """The planned root email for `slug`."""
        return f"{self.local_part}+{slug}@{self.domain}"


class AccountSpec(StrictModel):
    """A member account to create."""

    name: AccountName = Field(description="account name (1-50 printable ASCII, no < >)")
    slug: Slug = Field(description="short id used in the root email, e.g. widget-prod")
    email: Email | None = Field(None, description="root email; default <local_part>+<slug>@<domain>")
    ou: OuPath | None = Field(None, description="target OU path from the root, e.g. Workloads/Prod")
    tags: dict[Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]] = Field(
        default_factory=dict, description="tags set at creation"
    )


class Transfer(StrEnum):
    """How a member of another organization moves in."""

    DIRECT = "direct"  # invited, it accepts and moves in one step, never standalone (AWS, since late 2025)
    LEAVE = "leave"  # it leaves its organization first, then accepts: only where AWS refuses a direct transfer


class ExistingAccount(StrictModel):
    """An account to bring in (invite, migration or old management account)."""

    account_id: AccountId = Field(description="12-digit id (quoted)")
    profile: str | None = Field(None, min_length=1, description="AWS profile that can act inside the account")
    name: AccountName | None = Field(None, description="new account name, set in member initialization")
    slug: Slug | None = Field(None, description="slug of the planned root email")
    root_email: Email | None = Field(None, description="planned root email (overrides the slug)")
    ou: OuPath | None = Field(None, description="target OU path once the account has joined")
    transfer: Transfer = Field(
        Transfer.DIRECT,
        description="migrations only: direct (invite, accept: it moves in one step; the default) or leave (it leaves first, "
        "stands alone, then accepts: only where AWS refuses a direct transfer)",
    )


class RootAccessParams(StrictModel):
    """Centralized root access for member accounts (phase 03)."""

    model_config = ConfigDict(  # _deletion_needs_management, for parameters/schema.json
        json_schema_extra={
            "if": {"properties": {"delete_member_root_credentials": {"const": True}}, "required": ["delete_member_root_credentials"]},
            "then": {"properties": {"credentials_management": {"const": True}}},
        }
    )
    credentials_management: bool = Field(True, description="enable root credentials management")
    root_sessions: bool = Field(True, description="enable privileged root sessions")
    delete_member_root_credentials: bool = Field(False, description="delete member root credentials (irreversible)")

    @model_validator(mode="after")
    def _deletion_needs_management(self) -> RootAccessParams:
        if self.delete_member_root_credentials and not self.credentials_management:
            raise invalid(
                "delete_member_root_credentials needs credentials_management (AssumeRoot can only delete through it)",
                "set credentials_management: true, or delete_member_root_credentials: false",
            )
        return self


class ContactInformation(StrictModel):
    """The account's primary contact (Account Management ContactInformation)."""

    model_config = ConfigDict(  # _state_where_required, for parameters/schema.json
        json_schema_extra={
            "if": {"properties": {"country_code": {"enum": [*sorted(STATE_REQUIRED_COUNTRIES)]}}, "required": ["country_code"]},
            "then": {"properties": {"state_or_region": {"type": "string"}}, "required": ["state_or_region"]},
        }
    )
    full_name: Annotated[str, Field(min_length=1, max_length=50)]
    address_line1: Annotated[str, Field(min_length=1, max_length=60)]
    address_line2: Annotated[str, Field(min_length=1, max_length=60)] | None = None
    city: Annotated[str, Field(min_length=1, max_length=50)]
    state_or_region: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    postal_code: Annotated[str, Field(min_length=1, max_length=20)]
    country_code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    phone_number: Annotated[str, Field(pattern=r"^[+][\s0-9()-]+$", max_length=20)]
    company_name: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    website_url: Annotated[str, Field(min_length=1, max_length=256)] | None = None

    @model_validator(mode="after")
    def _state_where_required(self) -> ContactInformation:
        if self.country_code in STATE_REQUIRED_COUNTRIES and not self.state_or_region:
            raise invalid(f"country {self.country_code} needs state_or_region", "add state_or_region (e.g. WA)")
        return self

    def to_wire(self) -> dict[str, str]:
        """The Account Management API's ContactInformation (only the fields that are set)."""
        names = {"address_line1": "AddressLine1", "address_line2": "AddressLine2"}
        return {names.get(k, k.title().replace("_", "")): v for k, v in self.model_dump().items() if v is not None}


class AlternateContact(StrictModel):
    """A billing, operations or security contact."""

    name: Annotated[str, Field(min_length=1, max_length=64)]
    title: Annotated[str, Field(min_length=1, max_length=50)]
    email: AlternateContactEmail
    phone_number: Annotated[str, Field(pattern=r"^[\s0-9()+-]+$", max_length=25)]

    def to_wire(self) -> dict[str, str]:
        """The Account Management API's AlternateContact members."""
        return {"Name": self.name, "Title": self.title, "EmailAddress": self.email, "PhoneNumber": self.phone_number}


class ContactsParams(StrictModel):
    """Contacts to set on the management account (and on moved accounts)."""

    primary: ContactInformation | None = None
    billing: AlternateContact | None = None
    operations: AlternateContact | None = None
    security: AlternateContact | None = None

    def alternates(self) -> dict[str, AlternateContact]:
        """The alternate contacts that are set, by AWS's type name (BILLING, OPERATIONS, SECURITY)."""
        found = {"BILLING": self.billing, "OPERATIONS": self.operations, "SECURITY": self.security}
        return {kind: contact for kind, contact in found.items() if contact is not None}


def _moves_in_directly(schema: JsonDict) -> None:
    """Schema of invites and old_managements: their accounts cannot leave first (consistency_problems checks it)."""
    schema["items"] = {"allOf": [schema["items"], {"properties": {"transfer": {"const": Transfer.DIRECT.value}}}]}


def _default_accounts() -> list[AccountSpec]:
    return [
        AccountSpec(name="Org Ops", slug="org-ops"),
        AccountSpec(name="Widget prod", slug="widget-prod", ou="Workloads/Prod"),
        AccountSpec(name="Widget test", slug="widget-test", ou="Workloads/Test"),
    ]


class Parameters(StrictModel):
    """Everything the runbook needs to know about one organization."""

    organization: OrganizationParams
    root_email: RootEmailParams
    accounts: list[AccountSpec] = Field(default_factory=_default_accounts, description="member accounts to create")
    invites: list[ExistingAccount] = Field(
        default_factory=list, description="standalone accounts to invite", json_schema_extra=_moves_in_directly
    )
    migrations: list[ExistingAccount] = Field(default_factory=list, description="members of other organizations")
    old_managements: list[ExistingAccount] = Field(
        default_factory=list, description="management accounts of other organizations", json_schema_extra=_moves_in_directly
    )
    otps: dict[Email, Annotated[str, Field(pattern=r"^[A-Za-z0-9]{6}$")]] = Field(
        default_factory=dict, description="root-email update codes, by new address", json_schema_extra=SECRET
    )
    root_access: RootAccessParams = Field(default_factory=RootAccessParams)
    contacts: ContactsParams = Field(default_factory=ContactsParams)
    guardrails: GuardrailsParams = Field(default_factory=GuardrailsParams)
    attestations: dict[ManualId, Attestation] = Field(default_factory=dict, description="MANUAL items attested")
    confirm_irreversible: list[AccountId] = Field(default_factory=list, description="account ids whose irreversible steps may be applied")

    def secrets(self) -> list[str]:
        """The values of the fields marked SECRET (the OTPs): what a run's scrubber hides, from the model already read."""
        marked = [getattr(self, name) for name, info in type(self).model_fields.items() if info.json_schema_extra == SECRET]
        return [str(v) for value in marked for v in (value.values() if isinstance(value, dict) else [value])]

    def planned_emails(self) -> Iterator[tuple[str, str]]:
        """(field, address) for every root email the plan names, management account first."""
        org = self.organization
        yield "organization.management_slug", self.root_email.address(org.management_slug)
        for i, acct in enumerate(self.accounts):
            field = f"accounts[{i}].email" if acct.email else f"accounts[{i}].slug"
            yield field, acct.email or self.root_email.address(acct.slug)
        for group in ("invites", "migrations", "old_managements"):
            for i, existing in enumerate(getattr(self, group)):
                if existing.root_email:
                    yield f"{group}[{i}].root_email", existing.root_email
                elif existing.slug:
                    yield f"{group}[{i}].slug", self.root_email.address(existing.slug)

    def existing_accounts(self) -> Iterator[tuple[str, ExistingAccount]]:
        """(field, account) for every account to bring in."""
        for group in ("invites", "migrations", "old_managements"):
            for i, existing in enumerate(getattr(self, group)):
                yield f"{group}[{i}]", existing


def _loc(loc: tuple[int | str, ...]) -> str:
    return field_path(part for part in loc if part != "[key]")  # "[key]": pydantic's marker for a bad mapping key


_FIXES = {
    "extra_forbidden": "remove it or correct its spelling (parameters/schema.json lists every key)",
    "missing": "add it",
    "string_type": "write it as a quoted string",
    "bool_type": "write true or false",
    "enum": "use one of the values named above",
    "string_pattern_mismatch": "write it in the form the message shows",
}


def _problem(err: Any) -> ParameterProblem:
    ctx = err.get("ctx") or {}
    field = _loc(tuple(err["loc"]))
    if err["type"] == "orgnb_invalid":
        return ParameterProblem(field, ctx["message"], ctx["fix"])
    if err["type"] == "extra_forbidden":
        return ParameterProblem(field, "unknown key", _FIXES["extra_forbidden"])
    return ParameterProblem(field, err["msg"], _FIXES.get(err["type"], "see parameters/schema.json for the expected type"))


def consistency_problems(params: Parameters) -> list[ParameterProblem]:
    """Cross-field checks: planned emails valid and unique (case-insensitive), names to create unique, account ids unique."""
    problems: list[ParameterProblem] = []
    seen_emails: dict[str, str] = {}
    for field, email in params.planned_emails():
        for issue in awsrules.email_problems(email):
            problems.append(
                ParameterProblem(field, f"planned root email {email!r} {issue}", "shorten the slug or set the email explicitly")
            )
        first = seen_emails.setdefault(email.lower(), field)
        if first != field:
            problems.append(
                ParameterProblem(field, f"root email {email!r} is already planned by {first}", "give every account its own root email")
            )
    seen_names: dict[str, str] = {}
    for i, acct in enumerate(params.accounts):
        first = seen_names.setdefault(acct.name.lower(), f"accounts[{i}].name")
        if first != f"accounts[{i}].name":
            problems.append(
                ParameterProblem(
                    f"accounts[{i}].name",
                    f"account name {acct.name!r} is already used by {first}",
                    "give every account to create its own name (an interrupted creation is found again by its name)",
                )
            )
    for field, existing in params.existing_accounts():
        if existing.transfer == Transfer.LEAVE and not field.startswith("migrations["):
            problems.append(
                ParameterProblem(
                    f"{field}.transfer",
                    "only a member of another organization (migrations) can leave its organization first",
                    "remove transfer, or list the account under migrations",
                )
            )
    seen_ids: dict[str, str] = {params.organization.management_account_id: "organization.management_account_id"}
    for field, existing in params.existing_accounts():
        first = seen_ids.setdefault(existing.account_id, f"{field}.account_id")
        if first != f"{field}.account_id":
            problems.append(
                ParameterProblem(
                    f"{field}.account_id", f"account {existing.account_id} is already named by {first}", "list each account once"
                )
            )
    return problems


def validate_parameters(data: Any, source: str = "parameters") -> Parameters:
    """Validate already-parsed parameters; raise ParameterError naming every bad field."""
    try:
        params = Parameters.model_validate(data)
    except ValidationError as exc:
        raise ParameterError([_problem(e) for e in exc.errors()], source) from None
    problems = consistency_problems(params)
    if problems:
        raise ParameterError(problems, source)
    return params


def _duplicate_problem(dup: Duplicate) -> ParameterProblem:
    message = f"key {dup.key!r} is written twice, on line {dup.first_line} and line {dup.second_line} (YAML alone keeps the last)"
    return ParameterProblem(dup.field, message, f"write {dup.key!r} once: merge the two, or delete the one you do not mean")


def load_parameters(path: str | Path) -> Parameters:
    """Read and validate a parameters YAML file (static stage: no AWS call)."""
    path = Path(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(
            [ParameterProblem("parameters_file", f"{path} does not exist", "pass the path of a parameters YAML file")]
        ) from None
    except DuplicateKeyError as exc:
        raise ParameterError([_duplicate_problem(d) for d in exc.duplicates], str(path)) from None
    except yaml.YAMLError as exc:
        raise ParameterError([ParameterProblem("parameters_file", f"{path} is not valid YAML: {exc}", "fix the YAML syntax")]) from None
    except UnicodeDecodeError as exc:
        raise ParameterError(
            [ParameterProblem("parameters_file", f"{path} is not UTF-8 text ({exc.reason})", "save it as UTF-8")]
        ) from None
    params = validate_parameters(data if data is not None else {}, source=str(path))
    guardrails, problems = with_policy_files(params.guardrails, path.resolve().parent)
    if problems:
        raise ParameterError(problems, str(path))
    return params.model_copy(update={"guardrails": guardrails})
