"""parameters/schema.json is as strict as `orgnb validate`: the bad-input corpus goes to both, and they disagree only
where the schema's description names a rule that only `orgnb validate` checks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

import tests.test_bad_inputs as corpus
from orgnb.errors import ParameterError
from orgnb.input import awsrules
from orgnb.input.guardrails import GuardrailsParams
from orgnb.input.parameters import load_parameters
from orgnb.input.paramschema import SCHEMA_PATH, VALIDATE_ONLY, parameters_schema

ROOT = Path(__file__).resolve().parent.parent
# Every corpus case the two judge differently, with the VALIDATE_ONLY rule that explains it.
VALIDATE_ONLY_CASES = {
    "email-over-64": "planned-email-length",
    "email-duplicate-override": "unique",
    "name-duplicate": "unique",
    "invite-is-management": "unique",
    "invite-twice": "unique",
    "migration-also-invite": "unique",
    "custom-policy-name-twice": "unique",
    "duplicate-accounts-block": "duplicate-keys",
    "duplicate-root-email": "duplicate-keys",
    "duplicate-in-organization": "duplicate-keys",
    "duplicate-in-account": "duplicate-keys",
    "duplicate-in-example-contact": "duplicate-keys",
    "custom-policy-file-missing": "policy-files",
}


def schema_validator() -> jsonschema.protocols.Validator:
    """A validator of the draft parameters/schema.json declares, checking formats as check-jsonschema does."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_refuses(validator: jsonschema.protocols.Validator, raw: bytes) -> bool:
    """True when a schema check of the file fails: it is no UTF-8 YAML, or its data breaks the schema.

    Unquoted dates reach the schema as ISO text, as YAML 1.2 readers (editors' language servers) read them.
    """
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        return True
    return not validator.is_valid(json.loads(json.dumps(data, default=lambda value: value.isoformat())))


def validate_refuses(path: Path) -> bool:
    """True when `orgnb validate` refuses the file (exit 2)."""
    try:
        load_parameters(path)
    except ParameterError:
        return True
    return False


def corpus_files(tmp_path: Path) -> list[tuple[str, bytes]]:
    """Every file of the bad-input corpus, by its case id (the command-line cases have no file)."""
    edits = [(case_id, edit) for case_id, edit, *_ in [*corpus.CASES, *corpus.DOMAIN_CASES]]
    files = [(case_id, corpus.edited_file(tmp_path, edit).read_bytes()) for case_id, edit in edits]
    files += [(case_id, text.encode()) for case_id, text, *_ in corpus.DUPLICATE_KEY_CASES]
    return files + [(case_id, raw) for case_id, raw, _ in corpus.RAW_CASES]


def test_the_schema_declares_draft_2020_12_and_names_the_validate_only_rules() -> None:
    schema = parameters_schema()
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft202012Validator
    for rule in VALIDATE_ONLY.values():
        assert rule in schema["description"]


def test_the_corpus_disagrees_only_on_the_validate_only_rules(tmp_path: Path) -> None:
    validator = schema_validator()
    disagreements: dict[str, str] = {}
    for case_id, raw in corpus_files(tmp_path):
        path = tmp_path / "bad.yaml"
        path.write_bytes(raw)
        by_validate, by_schema = validate_refuses(path), schema_refuses(validator, raw)
        assert by_validate, f"{case_id}: orgnb validate accepts a file of the bad-input corpus"
        if by_validate != by_schema:
            disagreements[case_id] = "refused by orgnb validate alone" if by_validate else "refused by the schema alone"
    assert disagreements == dict.fromkeys(VALIDATE_ONLY_CASES, "refused by orgnb validate alone")
    assert set(VALIDATE_ONLY_CASES.values()) == set(VALIDATE_ONLY), "each validate-only rule has a case, and each case a rule"


@pytest.mark.parametrize("name", ["example.yaml", "brownfield.yaml"])
def test_the_shipped_parameters_pass_both(name: str) -> None:
    path = ROOT / "parameters" / name
    assert not validate_refuses(path)
    assert not schema_refuses(schema_validator(), path.read_bytes())


def matches(pattern: str, value: str) -> bool:
    """A JSON Schema `pattern` check, as jsonschema makes it (a search: the patterns anchor themselves).

    Python's `$` also matches before a final newline, where ECMA-262's does not: the samples end with no newline.
    """
    return re.search(pattern, value) is not None


ASCII = [chr(code) for code in range(128)]
EMAILS = [f"a{ch}b@example.com" for ch in ASCII] + [f"{ch}ab@example.com" for ch in ASCII] + [f"ab@ex{ch}ample.com" for ch in ASCII]
EMAILS += ["aws+org-ops@example.com", "a@b.co", "a@b.c", "é@example.com", "a@@example.com", "a@example", "a@example..com"]
EMAILS += ["a@-example.com", "a@example-.com", "@example.com", "a" * 52 + "@example.com", "a" * 53 + "@example.com"]
EMAILS += ["a@" + "b" * 64 + ".com", "ops@mail.example-corp.com", "ops@mail.example.c-m"]
ACCOUNT_NAMES = [f"Org {ch}s" for ch in ASCII] + ["Org Öps", "", "N" * 50, "N" * 51]
OU_PATHS = ["Workloads/Prod", "a/b/c/d/e", "a/b/c/d/e/f", "a//b", "/a", "a/", " ", "a/ /b", "a/\t/b", "W" * 128, "W" * 129]
OU_PATHS += ["Root", "root/Prod", "ROOT", "Rooted", "Prod/root", " Root"]
TARGETS = ["root", "111122223333", "Workloads/Prod", "/Workloads", "Workloads/", "a//b", " ", "a", "a\nb"]


def test_the_email_patterns_are_the_email_rules() -> None:
    def agree(email: str) -> bool:
        in_length = awsrules.EMAIL_MIN_LENGTH <= len(email) <= awsrules.EMAIL_MAX_LENGTH
        root_ok = (matches(awsrules.EMAIL_PATTERN, email) and in_length) == (awsrules.email_problems(email) == [])
        contact_ok = matches(awsrules.ALTERNATE_CONTACT_EMAIL_PATTERN, email) == (awsrules.alternate_contact_email_problems(email) == [])
        return root_ok and contact_ok

    assert [email for email in EMAILS if not agree(email)] == []


def test_the_account_name_pattern_is_account_name_problems() -> None:
    def agree(name: str) -> bool:
        in_length = 1 <= len(name) <= awsrules.ACCOUNT_NAME_MAX_LENGTH
        return (matches(awsrules.ACCOUNT_NAME_PATTERN, name) and in_length) == (awsrules.account_name_problems(name) == [])

    assert [name for name in ACCOUNT_NAMES if not agree(name)] == []


def test_the_ou_path_pattern_is_ou_path_problems() -> None:
    assert [path for path in OU_PATHS if matches(awsrules.OU_PATH_PATTERN, path) != (awsrules.ou_path_problems(path) == [])] == []


def test_the_target_pattern_is_the_targets_rule() -> None:
    pattern = parameters_schema()["$defs"]["GuardrailsParams"]["properties"]["detach_full_aws_access"]["items"]["pattern"]

    def valid(target: str) -> bool:
        try:
            GuardrailsParams(detach_full_aws_access=[target])
        except ValidationError:
            return False
        return True

    assert [target for target in TARGETS if matches(pattern, target) != valid(target)] == []
