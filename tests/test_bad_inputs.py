"""A corpus of bad inputs: each is refused before any AWS call, with exit 2 and a message naming the field and its fix."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from orgnb.cli import main
from orgnb.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
BASE = yaml.safe_load((ROOT / "parameters" / "example.yaml").read_text())
Edit = Callable[[dict[str, Any]], Any]


def put(path: str, value: Any) -> Edit:
    """An edit that sets `path` (dots and [i]) to `value`."""

    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.replace("[", ".[").split(".")
        node: Any = data
        for part in parents:
            node = node[int(part[1:-1])] if part.startswith("[") else node.setdefault(part, {})
        if last.startswith("["):
            node[int(last[1:-1])] = value
        else:
            node[last] = value

    return edit


def drop(path: str) -> Edit:
    """An edit that removes the key at `path`."""

    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        del node[last]

    return edit


def add_account(**spec: Any) -> Edit:
    return lambda data: data["accounts"].append(spec)


def existing(group: str, **spec: Any) -> Edit:
    return lambda data: data.setdefault(group, []).append(spec)


# (id, edit of the example parameters, the field the message must name)
CASES: list[tuple[str, Edit, str]] = [
    ("id-as-int", put("organization.management_account_id", 111122223333), "organization.management_account_id"),
    ("id-11-digits", put("organization.management_account_id", "11112222333"), "organization.management_account_id"),
    ("id-letters", put("organization.management_account_id", "1111222233ab"), "organization.management_account_id"),
    ("id-missing", drop("organization.management_account_id"), "organization.management_account_id"),
    ("region-bad", put("organization.region", "mars-north"), "organization.region"),
    ("region-empty", put("organization.region", ""), "organization.region"),
    ("profile-empty", put("organization.profile", ""), "organization.profile"),
    ("mgmt-name-too-long", put("organization.management_account_name", "M" * 51), "organization.management_account_name"),
    ("mgmt-slug-upper", put("organization.management_slug", "Management"), "organization.management_slug"),
    ("unknown-top-key", put("organisation", {}), "organisation"),
    ("unknown-nested-key", put("organization.regoin", "us-east-1"), "organization.regoin"),
    ("organization-missing", drop("organization"), "organization"),
    ("local-part-bad", put("root_email.local_part", "a ws"), "root_email.local_part"),
    ("domain-bad", put("root_email.domain", "-example.com"), "root_email.domain"),
    (
        "email-over-64",
        lambda d: [put(k, v)(d) for k, v in (("root_email.domain", "example-holdings.com"), ("accounts[0].slug", "a" * 40))],
        "accounts[0]",
    ),
    ("email-override-over-64", put("accounts[0].email", "x" * 60 + "@example.com"), "accounts[0].email"),
    ("email-override-no-at", put("accounts[0].email", "not-an-email"), "accounts[0].email"),
    ("email-duplicate-case", add_account(name="Org Ops 2", slug="ORG-OPS"), "accounts[3].slug"),
    ("email-duplicate-override", add_account(name="Other", slug="other", email="AWS+org-ops@example.com"), "accounts[3]"),
    ("name-duplicate", add_account(name="org ops", slug="org-ops-2"), "accounts[3].name"),
    ("name-over-50", put("accounts[0].name", "N" * 51), "accounts[0].name"),
    ("name-angle", put("accounts[0].name", "Org <Ops>"), "accounts[0].name"),
    ("name-non-ascii", put("accounts[0].name", "Org Öps"), "accounts[0].name"),
    ("name-empty", put("accounts[0].name", ""), "accounts[0].name"),
    ("name-as-int", put("accounts[0].name", 42), "accounts[0].name"),
    ("slug-missing", lambda data: data["accounts"][0].pop("slug"), "accounts[0].slug"),
    ("slug-space", put("accounts[0].slug", "org ops"), "accounts[0].slug"),
    ("slug-dash-end", put("accounts[0].slug", "org-"), "accounts[0].slug"),
    ("ou-double-slash", put("accounts[1].ou", "Workloads//Prod"), "accounts[1].ou"),
    ("ou-leading-slash", put("accounts[1].ou", "/Workloads/Prod"), "accounts[1].ou"),
    ("ou-too-long-name", put("accounts[1].ou", "W" * 129), "accounts[1].ou"),
    ("tags-not-map", put("accounts[0].tags", ["a", "b"]), "accounts[0].tags"),
    ("accounts-not-list", put("accounts", {"name": "x"}), "accounts"),
    ("unknown-account-key", put("accounts[0].owner", "me"), "accounts[0].owner"),
    ("invite-id-int", existing("invites", account_id=222233334444), "invites[0].account_id"),
    ("invite-is-management", existing("invites", account_id="111122223333"), "invites[0].account_id"),
    ("invite-twice", lambda d: [existing("invites", account_id="222233334444")(d) for _ in range(2)], "invites[1].account_id"),
    ("migration-also-invite", lambda d: [existing(g, account_id="222233334444")(d) for g in ("invites", "migrations")], "migrations[0]"),
    ("old-management-bad-id", existing("old_managements", account_id="33334444555"), "old_managements[0].account_id"),
    ("existing-root-email-bad", existing("invites", account_id="222233334444", root_email="x@"), "invites[0].root_email"),
    ("existing-name-over-50", existing("invites", account_id="222233334444", name="N" * 51), "invites[0].name"),
    ("existing-profile-empty", existing("invites", account_id="222233334444", profile=""), "invites[0].profile"),
    ("otp-bad-address", put("otps", {"not-an-email": "Ab3dE9"}), "otps"),
    ("otp-too-short", put("otps", {"aws+org-ops@example.com": "123"}), "otps.aws+org-ops@example.com"),
    (
        "delete-without-management",
        put("root_access", {"credentials_management": False, "delete_member_root_credentials": True}),
        "root_access",
    ),
    ("root-access-not-bool", put("root_access.root_sessions", "sometimes"), "root_access.root_sessions"),
    ("confirm-id-short", put("confirm_irreversible", ["12345"]), "confirm_irreversible[0]"),
    ("attestation-unknown-id", put("attestations", {"moon_landing": {"by": "me", "at": "2026-01-01"}}), "attestations"),
    ("attestation-no-date", put("attestations", {"finance_informed": {"by": "me"}}), "attestations.finance_informed.at"),
    ("contact-country-lower", put("contacts.primary.country_code", "us"), "contacts.primary.country_code"),
    ("contact-us-without-state", drop("contacts.primary.state_or_region"), "contacts.primary"),
    ("contact-phone-letters", put("contacts.billing.phone_number", "call me"), "contacts.billing.phone_number"),
    ("contact-email-bad", put("contacts.security.email", "security"), "contacts.security.email"),
    ("local-part-leading-dot", put("root_email.local_part", ".aws"), "organization.management_slug"),
    ("invite-transfer-leave", existing("invites", account_id="222233334444", transfer="leave"), "invites[0].transfer"),
    ("transition-ou-nested", put("guardrails.baseline.transition_ou", "Exit/Transition"), "guardrails.baseline.transition_ou"),
    ("target-leading-slash", put("guardrails.detach_full_aws_access", ["/Workloads"]), "guardrails.detach_full_aws_access[0]"),
    ("extra-action-no-colon", put("guardrails.extra_actions", ["s3 GetObject"]), "guardrails.extra_actions[0]"),
    ("delegated-admin-own-api", put("guardrails.delegated_administrators", {"guardduty.amazonaws.com": "222233334444"}), "guardrails"),
    ("custom-policy-aws-name", put("guardrails.custom", [{"name": "FullAWSAccess", "file": "p.json", "targets": ["root"]}]), "guardrails"),
    (
        "custom-policy-name-twice",
        put("guardrails.custom", [{"name": "deny-x", "file": "p.json", "targets": ["root"]}] * 2),
        "guardrails",
    ),
    (
        "custom-policy-file-missing",
        put("guardrails.custom", [{"name": "deny-x", "file": "absent.json", "targets": ["root"]}]),
        "guardrails.custom[0].file",
    ),
]
RAW_CASES: list[tuple[str, bytes, str]] = [
    ("yaml-syntax", b"organization: {management_account_id: '111122223333'\n", "parameters_file"),
    ("yaml-top-level-list", b"- organization\n", "(top level)"),
    ("empty-file", b"", "organization"),
    ("not-utf8", b"organization:\n  region: \xff\xfe\n", "parameters_file"),
]
# (id, edit, the field the message must name, the rule it must name): email domains follow the DNS label rules
DOMAIN_CASES: list[tuple[str, Edit, str, str]] = [
    ("domain-empty-label", put("root_email.domain", "example..com"), "root_email.domain", "empty label"),
    ("domain-trailing-dot", put("root_email.domain", "example.com."), "root_email.domain", "empty label"),
    ("domain-label-ends-hyphen", put("root_email.domain", "example-.com"), "root_email.domain", "starts or ends with '-'"),
    ("domain-label-64", put("root_email.domain", "a" * 64 + ".com"), "root_email.domain", "at most 63"),
    ("domain-over-253", put("root_email.domain", ".".join(["a" * 63] * 4)), "root_email.domain", "at most 253"),
    ("domain-one-label", put("root_email.domain", "localhost"), "root_email.domain", "single label"),
    ("domain-underscore", put("root_email.domain", "ex_ample.com"), "root_email.domain", "only letters, digits"),
    ("email-override-empty-label", put("accounts[0].email", "ops@example..com"), "accounts[0].email", "empty label"),
    (
        "existing-root-email-label-hyphen",
        existing("invites", account_id="222233334444", root_email="root@-mail.example.com"),
        "invites[0].root_email",
        "starts or ends with '-'",
    ),
    ("otp-address-empty-label", put("otps", {"aws+org-ops@example..com": "Ab3dE9"}), "otps", "empty label"),
    ("contact-email-empty-label", put("contacts.billing.email", "finance@example..com"), "contacts.billing.email", "empty label"),
    (
        "contact-email-outside-aws-pattern",
        put("contacts.security.email", "sec/urity@example.com"),
        "contacts.security.email",
        "PutAlternateContact",
    ),
]
# (id, file, the key's path, its two lines): a key written twice, which YAML alone would resolve by keeping the last
EXAMPLE_TEXT = (ROOT / "parameters" / "example.yaml").read_text()
BILLING_EMAIL_LINE = EXAMPLE_TEXT[: EXAMPLE_TEXT.index("    email: finance@")].count("\n") + 1
MINIMAL = "organization:\n  management_account_id: '111122223333'\nroot_email:\n  local_part: aws\n  domain: example.com\n"
DUPLICATE_KEY_CASES: list[tuple[str, str, str, tuple[int, int]]] = [
    ("duplicate-accounts-block", MINIMAL + "accounts:\n  - {name: A, slug: a}\naccounts:\n  - {name: B, slug: b}\n", "accounts", (6, 8)),
    ("duplicate-root-email", MINIMAL + "root_email:\n  local_part: aws\n  domain: example.org\n", "root_email", (3, 6)),
    (
        "duplicate-in-organization",
        MINIMAL.replace("\nroot", "\n  management_account_id: '444455556666'\nroot"),
        "organization.management_account_id",
        (2, 3),
    ),
    (
        "duplicate-in-account",
        MINIMAL + "accounts:\n  - name: A\n    slug: a\n  - name: B\n    slug: b\n    email: b@example.com\n    slug: c\n",
        "accounts[1].slug",
        (10, 12),
    ),
    (
        "duplicate-in-example-contact",
        EXAMPLE_TEXT.replace("    email: finance@", "    email: ap@example.com\n    email: finance@"),
        "contacts.billing.email",
        (BILLING_EMAIL_LINE, BILLING_EMAIL_LINE + 1),
    ),
]


def run_bad(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    """`orgnb run organization-init -f PATH --apply` in-process: its exit code and stderr."""
    code = main(["run", "organization-init", "-f", str(path), "--apply", "--reports-dir", str(tmp_path / "reports"), *extra])
    return code, capsys.readouterr().err


def test_the_corpus_is_large_and_its_cases_distinct() -> None:
    ids = [c[0] for c in [*CASES, *RAW_CASES, *PARAMETER_CASES, *DOMAIN_CASES, *DUPLICATE_KEY_CASES]]
    assert len(ids) >= 50 and len(set(ids)) == len(ids)


def refused(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], sandbox: Sandbox, field: str) -> str:
    """Assert the run of `path` exits 2 before any AWS call, naming `field` and a fix; the error text."""
    code, err = run_bad(path, tmp_path, capsys)
    assert code == 2, err
    assert f"  - {field}" in err and "(fix: " in err, err
    assert sandbox.calls() == [] and not (tmp_path / "reports").exists()
    return err


def edited_file(tmp_path: Path, edit: Edit) -> Path:
    """The example parameters with `edit` applied, written to a file."""
    data = copy.deepcopy(BASE)
    edit(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


@pytest.mark.parametrize(("edit", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_parameters_exit_2_naming_the_field(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Edit, field: str
) -> None:
    refused(edited_file(tmp_path, edit), tmp_path, capsys, sandbox, field)


@pytest.mark.parametrize(("edit", "field", "rule"), [c[1:] for c in DOMAIN_CASES], ids=[c[0] for c in DOMAIN_CASES])
def test_bad_email_domains_exit_2_naming_the_field_and_the_rule(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Edit, field: str, rule: str
) -> None:
    err = refused(edited_file(tmp_path, edit), tmp_path, capsys, sandbox, field)
    assert rule in err, err


@pytest.mark.parametrize(("text", "field", "lines"), [c[1:] for c in DUPLICATE_KEY_CASES], ids=[c[0] for c in DUPLICATE_KEY_CASES])
def test_a_key_written_twice_exits_2_naming_it_and_both_lines(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, field: str, lines: tuple[int, int]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    err = refused(path, tmp_path, capsys, sandbox, field)
    key = field.rsplit(".", 1)[-1]
    assert f"{field}: key {key!r} is written twice, on line {lines[0]} and line {lines[1]}" in err, err


@pytest.mark.parametrize(("raw", "field"), [c[1:] for c in RAW_CASES], ids=[c[0] for c in RAW_CASES])
def test_unreadable_files_exit_2_naming_the_file(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], raw: bytes, field: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(raw)
    code, err = run_bad(path, tmp_path, capsys)
    assert code == 2 and f"  - {field}" in err, err
    assert sandbox.calls() == []


PARAMETER_CASES: list[tuple[str, list[str], str]] = [
    ("p-unknown", ["-p", "strictness", "true"], "-p strictness"),
    ("p-reserved-file", ["-p", "parameters_file", "x.yaml"], "-p parameters_file"),
    ("p-reserved-apply", ["-p", "apply", "true"], "-p apply"),
    ("p-reserved-record-dir", ["-p", "record_dir", "/tmp"], "-p record_dir"),
    ("missing-file", [], "parameters_file"),
    ("p-not-a-bool", ["-p", "strict", "maybe"], "-p strict"),
    ("p-int-for-bool", ["-p", "strict", "3"], "-p strict"),
]


@pytest.mark.parametrize(("extra", "field"), [c[1:] for c in PARAMETER_CASES], ids=[c[0] for c in PARAMETER_CASES])
def test_bad_command_line_values_exit_2(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], field: str
) -> None:
    path = tmp_path / ("absent.yaml" if field == "parameters_file" else "ok.yaml")
    if field != "parameters_file":
        path.write_text(yaml.safe_dump(BASE))
    phase = "preparation-audit" if "strict" in extra else "organization-init"
    code = main(["run", phase, "-f", str(path), "--reports-dir", str(tmp_path / "reports"), *extra])
    err = capsys.readouterr().err
    assert code == 2 and field in err, err
    assert sandbox.calls() == []
