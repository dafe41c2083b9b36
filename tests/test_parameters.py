from __future__ import annotations

import copy
import re
from pathlib import Path

import botocore.session
import pytest
import yaml

from orgnb.errors import ParameterError
from orgnb.input import awsrules
from orgnb.input.parameters import ManualId, RootEmailParams, load_parameters, validate_parameters
from orgnb.input.paramschema import SCHEMA_PATH, schema_text

EXAMPLE = yaml.safe_load((Path(__file__).resolve().parent.parent / "parameters" / "example.yaml").read_text())


def problems_for(data: dict) -> dict[str, str]:
    with pytest.raises(ParameterError) as info:
        validate_parameters(data)
    return {p.field: f"{p.message} | {p.fix}" for p in info.value.problems}


def edited(**changes: object) -> dict:
    data = copy.deepcopy(EXAMPLE)
    for dotted, value in changes.items():
        target = data
        *path, last = dotted.split("__")
        for part in path:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return data


def test_example_is_the_articles_company(example_params: Path) -> None:
    params = load_parameters(example_params)
    emails = [email for _, email in params.planned_emails()]
    assert emails == [
        "aws+management-account@example.com",
        "aws+org-ops@example.com",
        "aws+widget-prod@example.com",
        "aws+widget-test@example.com",
    ]
    assert params.organization.management_account_id == "111122223333"
    assert [a.ou for a in params.accounts] == [None, "Workloads/Prod", "Workloads/Test"]


def test_unquoted_account_id_is_rejected_with_the_fix() -> None:
    problems = problems_for(edited(organization__management_account_id=111122223333))
    assert "quote it" in problems["organization.management_account_id"]


def test_yaml_unquoted_leading_zero_id_loses_digits_and_is_rejected(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parent.parent / "parameters" / "example.yaml").read_text()
    path = tmp_path / "p.yaml"
    path.write_text(text.replace('"111122223333"', "01234567"))  # YAML 1.1 reads this as octal 342391
    with pytest.raises(ParameterError) as info:
        load_parameters(path)
    assert info.value.problems[0].field == "organization.management_account_id"
    assert "342391" in info.value.problems[0].message


def test_email_of_65_characters_is_rejected() -> None:
    long_email = "a" * 53 + "@example.com"
    assert len(long_email) == 65
    problems = problems_for(edited(accounts__1__email=long_email))
    assert "65 characters" in problems["accounts[1].email"]


def test_planned_email_too_long_names_the_slug() -> None:
    problems = problems_for(edited(accounts__0__slug="x" * 40, root_email={"local_part": "a" * 12, "domain": "example.com"}))
    assert "accounts[0].slug" in problems


def test_duplicate_email_is_rejected_case_insensitively() -> None:
    data = edited()
    data["accounts"].append({"name": "Widget prod again", "slug": "x1", "email": "AWS+Widget-Prod@example.com"})
    problems = problems_for(data)
    assert "already planned by accounts[1].slug" in problems["accounts[3].email"]


def test_duplicate_name_to_create_is_rejected_case_insensitively() -> None:
    data = edited()
    data["accounts"].append({"name": "widget PROD", "slug": "widget-prod-2"})
    assert "already used by accounts[1].name" in problems_for(data)["accounts[3].name"]


def test_deleting_root_credentials_needs_credentials_management() -> None:
    data = edited(root_access__credentials_management=False, root_access__delete_member_root_credentials=True)
    problems = problems_for(data)
    assert "credentials_management: true" in problems["root_access"]


def test_unknown_key_is_rejected() -> None:
    data = edited()
    data["organisation"] = {}
    assert problems_for(data)["organisation"].startswith("unknown key")
    assert "accounts[0].colour" in problems_for(edited(accounts__0__colour="blue"))


@pytest.mark.parametrize("name", ["", "x" * 51, "Widget <prod>", "Wïdget"])
def test_bad_account_names(name: str) -> None:
    assert "accounts[0].name" in problems_for(edited(accounts__0__name=name))


@pytest.mark.parametrize("path", ["/Workloads", "Workloads//Prod", "Root/Workloads", "a/b/c/d/e/f"])
def test_bad_ou_paths(path: str) -> None:
    assert "accounts[1].ou" in problems_for(edited(accounts__1__ou=path))


@pytest.mark.parametrize(
    "email", ["a b@example.com", "x(y)@example.com", ".a@example.com", "a@example", "a@-example.com", "a@@example.com"]
)
def test_aws_email_rules(email: str) -> None:
    assert "accounts[0].email" in problems_for(edited(accounts__0__email=email))


@pytest.mark.parametrize(
    "domain",
    [
        "example.com",
        "mail.example.co.uk",
        "123.example.com",
        "xn--bcher-kva.example",
        "a" * 63 + ".com",
        ".".join(["a" * 63] * 3 + ["a" * 61]),
    ],
)
def test_dns_domains_are_accepted(domain: str) -> None:
    assert awsrules.domain_problems(domain) == []
    assert RootEmailParams(local_part="aws", domain=domain).domain == domain  # (the planned emails may still be too long)


@pytest.mark.parametrize(
    ("domain", "rule"),
    [
        ("example..com", "empty label"),
        (".example.com", "empty label"),
        ("-example.com", "starts or ends with '-'"),
        ("example.com-", "starts or ends with '-'"),
        ("a" * 64 + ".com", "at most 63"),
        (".".join(["a" * 63] * 3 + ["a" * 62]), "at most 253"),
        ("example", "single label"),
        ("exa mple.com", "only letters, digits"),
        ("exämple.com", "only letters, digits"),
    ],
)
def test_domains_breaking_a_dns_rule_name_it(domain: str, rule: str) -> None:
    problem = problems_for(edited(root_email__domain=domain))["root_email.domain"]
    assert rule in problem and "example.com" in problem.split(" | ")[1]
    assert rule in problems_for(edited(accounts__0__email=f"ops@{domain}"))["accounts[0].email"]


def _aws_accepts(service: str, shape: str, email: str) -> bool:
    """Whether `email` passes the length and pattern botocore's model gives AWS's `shape` (Java regexes match whole)."""
    rules = botocore.session.get_session().get_service_model(service).shape_for(shape).metadata
    return rules.get("min", 0) <= len(email) <= rules["max"] and bool(re.fullmatch(rules["pattern"], email, re.ASCII))


LOCAL_PARTS = ["a", "aws+x", "a.b", "a_b", "a-b", "a=b", "a#b", "a!b", "a$b", "a/b", "a?b", "a{b}", "a~b", "a*b", "a`b", "é"]
DOMAINS = ["example.com", "ex-ample.io", "1.example.com", "example.xn--p1ai", "example..com", "example.com.", "exa_mple.com", "x.c"]


def test_the_kit_refuses_every_email_aws_would_refuse() -> None:
    emails = [f"{local}@{domain}" for local in LOCAL_PARTS for domain in DOMAINS] + ["a@b.c", "x" * 60 + "@example.com"]
    kit_accepts = [e for e in emails if not awsrules.email_problems(e)]
    assert kit_accepts and all(_aws_accepts("organizations", "Email", e) for e in kit_accepts)
    contact_accepts = [e for e in kit_accepts if not awsrules.alternate_contact_email_problems(e)]
    assert contact_accepts and all(_aws_accepts("account", "EmailAddress", e) for e in contact_accepts)
    assert set(kit_accepts) - set(contact_accepts)  # PutAlternateContact is the stricter of the two
    email = botocore.session.get_session().get_service_model("organizations").shape_for("Email").metadata
    assert (awsrules.EMAIL_MIN_LENGTH, awsrules.EMAIL_MAX_LENGTH) == (email["min"], email["max"])


def test_attestations_by_manual_id() -> None:
    ok = validate_parameters(edited(attestations={"finance_informed": {"by": "cfo@example.com", "at": "2026-11-01"}}))
    assert ManualId.FINANCE_INFORMED in ok.attestations
    assert "attestations.vibes_checked" in problems_for(edited(attestations={"vibes_checked": {"by": "me", "at": "2026-11-01"}}))


def test_duplicate_existing_account_ids() -> None:
    data = edited(invites=[{"account_id": "222233334444"}], migrations=[{"account_id": "222233334444"}])
    assert "migrations[0].account_id" in problems_for(data)


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="does not exist"):
        load_parameters(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("organization: [\n")
    with pytest.raises(ParameterError, match="not valid YAML"):
        load_parameters(bad)


def test_schema_file_is_current() -> None:
    assert SCHEMA_PATH.read_text() == schema_text(), "run `make schema` to regenerate parameters/schema.json"
