"""The field types of the parameters model, each validated as AWS will check it, and the base of its sections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from orgnb.input import awsrules


def invalid(message: str, fix: str) -> PydanticCustomError:
    return PydanticCustomError("orgnb_invalid", "{message}", {"message": message, "fix": fix})


def _account_id(value: Any) -> str:
    if isinstance(value, bool) or isinstance(value, (int, float)):
        raise invalid(
            f"account id {value!r} is a number, not a string (YAML and -p read unquoted digits as numbers and drop leading zeros)",
            "quote it: '012345678901'",
        )
    if not isinstance(value, str) or not awsrules.is_account_id(value):
        raise invalid(f"{value!r} is not a 12-digit account id", "write the account id as 12 digits in quotes")
    return value


def _rule(problems_of: Callable[[str], list[str]], what: str, fix: str) -> Callable[[str], str]:
    """A field validator: `value` unchanged when `problems_of` finds nothing, else every problem, named, with the fix."""

    def check(value: str) -> str:
        problems = problems_of(value)
        if problems:
            raise invalid(f"{what} {value!r} " + "; ".join(problems), fix)
        return value

    return check


_email = _rule(awsrules.email_problems, "email", "use an address AWS accepts, e.g. aws+name@example.com")
_alternate_contact_email = _rule(awsrules.alternate_contact_email_problems, "email", "use an address such as security@example.com")
_domain = _rule(
    awsrules.domain_problems,
    "domain",
    "write a domain such as example.com: labels of 1-63 letters, digits or '-' (not at either end), joined by single dots",
)
_account_name = _rule(awsrules.account_name_problems, "account name", "use 1-50 printable ASCII characters without < or >")
_ou_path = _rule(awsrules.ou_path_problems, "OU path", "write OU names from the root down, e.g. Workloads/Prod")


# Each type's rules reach parameters/schema.json through json_schema_extra, which only describes: its validator keeps
# checking them, with messages that name the rule broken (pydantic's own constraints would check them first, in words
# of their own).
AccountId = Annotated[str, BeforeValidator(_account_id), Field(json_schema_extra={"pattern": r"^\d{12}$"})]
Email = Annotated[
    str,
    Field(min_length=1),
    AfterValidator(_email),
    Field(
        json_schema_extra={
            "pattern": awsrules.EMAIL_PATTERN,
            "minLength": awsrules.EMAIL_MIN_LENGTH,
            "maxLength": awsrules.EMAIL_MAX_LENGTH,
        }
    ),
]
AlternateContactEmail = Annotated[
    Email,
    AfterValidator(_alternate_contact_email),
    Field(json_schema_extra={"allOf": [{"pattern": awsrules.ALTERNATE_CONTACT_EMAIL_PATTERN}]}),
]
Domain = Annotated[
    str,
    AfterValidator(_domain),
    Field(json_schema_extra={"pattern": awsrules.DOMAIN_PATTERN, "maxLength": awsrules.DOMAIN_MAX_LENGTH, "minLength": 1}),
]
AccountName = Annotated[
    str,
    Field(min_length=1),
    AfterValidator(_account_name),
    Field(json_schema_extra={"pattern": awsrules.ACCOUNT_NAME_PATTERN, "maxLength": awsrules.ACCOUNT_NAME_MAX_LENGTH}),
]
OuPath = Annotated[str, Field(min_length=1), AfterValidator(_ou_path), Field(json_schema_extra={"pattern": awsrules.OU_PATH_PATTERN})]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")]
Region = Annotated[str, Field(pattern=r"^[a-z]{2}(?:-[a-z]+)+-\d$")]
Text = Annotated[str, Field(min_length=1, max_length=256)]


# JSON Schema's mark for a value that is written and never read back: orgnb keeps every such value out of its records.
SECRET: dict[str, Any] = {"writeOnly": True}


class StrictModel(BaseModel):
    """Base of every parameters section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)
