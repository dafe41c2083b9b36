"""Change records: the hash chain and its verification, the secret scrubber, and a leaky notebook run for real."""

from __future__ import annotations

import json
import secrets
import shutil
import string
from pathlib import Path

import nbformat
import pytest
import yaml

from orgnb.cli import main
from orgnb.commands.runner import execute_record
from orgnb.errors import ExitCode, RecordError
from orgnb.evidence import chain, records
from orgnb.evidence.redact import (
    ACCESS_KEY_ID,
    KNOWN_SECRET,
    SECRET_ACCESS_KEY,
    SECRET_FIELD,
    SECRET_PARAMETER,
    SESSION_TOKEN,
    Scrubber,
    marker,
    redact,
    run_scrubber,
    secret_named_values,
)

B64 = string.ascii_letters + string.digits + "/+"


def random_b64(n: int) -> str:
    """A random base64-alphabet string shaped like AWS's secrets (mixed case and digits)."""
    while True:
        value = "".join(secrets.choice(B64) for _ in range(n))
        if any(c.isupper() for c in value) and any(c.islower() for c in value) and sum(c.isdigit() for c in value) >= n // 20 + 1:
            return value


def make_chain(reports: Path, phases: list[str]) -> list[Path]:
    """Seal one small record per phase into `reports` (no notebook: the chain only needs files)."""
    made = []
    for n, phase in enumerate(phases):
        folder = reports / f"20261128T12000{n}Z-{phase}"
        (folder / "iac").mkdir(parents=True)
        (folder / records.JOURNAL).write_text(json.dumps({"event": "done", "step": f"s{n}", "ts": "t"}) + "\n")
        records.write_status(folder, {"phase": phase, "outcome": "applied"})
        (folder / "iac" / "accounts.tf").write_text("import {}\n")
        chain.seal(folder, {"phase": phase, "outcome": "applied"})
        made.append(folder)
    return made


def verify(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str], str]:
    """Run `orgnb records verify PATH` in-process: exit code, its key lines, and what it said was broken."""
    code = main(["records", "verify", str(path)])
    out, err = capsys.readouterr()
    return code, dict(line.split(": ", 1) for line in out.splitlines() if ": " in line), err


def test_a_sealed_chain_verifies_and_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = make_chain(tmp_path, ["organization-init", "root-centralization", "account-creation"])
    code, out, _ = verify(tmp_path, capsys)
    assert (code, out["records"], out["verified"]) == (0, "3", "True")
    manifests = [chain.read_manifest(d) for d in made]
    assert manifests[0]["previous"] is None
    assert manifests[2]["previous"] == {"record": made[1].name, "manifest_sha256": chain.sha256_file(made[1] / chain.MANIFEST)}
    assert set(manifests[0]["files"]) == {records.JOURNAL, records.STATUS, "iac/accounts.tf"}
    assert main(["records", "list", str(tmp_path)]) == 0
    listing = capsys.readouterr().out
    assert listing.index("organization-init") < listing.index("account-creation") and "unverified: 0" in listing


@pytest.mark.parametrize("victim", [records.JOURNAL, records.STATUS, "iac/accounts.tf", chain.MANIFEST])
@pytest.mark.parametrize("which", [0, 1, 2])
def test_flipping_any_byte_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], victim: str, which: int) -> None:
    made = make_chain(tmp_path, ["organization-init", "root-centralization", "account-creation"])
    target = made[which] / victim
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    code, out, err = verify(tmp_path, capsys)
    assert code == ExitCode.FAILED and out["verified"] == "False"
    assert out["first_broken"] == f"{made[which].name}/{victim}", err


@pytest.mark.parametrize("which", [0, 1, 2])
def test_deleting_a_record_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str], which: int) -> None:
    made = make_chain(tmp_path, ["organization-init", "root-centralization", "account-creation"])
    shutil.rmtree(made[which])
    code, out, err = verify(tmp_path, capsys)
    assert code == ExitCode.FAILED and out["first_broken"] == made[which].name
    assert "missing" in err


def test_added_and_unsealed_files_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = make_chain(tmp_path, ["organization-init"])
    (made[0] / "extra.txt").write_text("slipped in later")
    killed = tmp_path / "20261128T130000Z-migration"
    killed.mkdir()
    (killed / records.JOURNAL).write_text("")
    code, _, err = verify(tmp_path, capsys)
    assert code == ExitCode.FAILED
    assert f"{made[0].name}/extra.txt: not listed" in err and f"{killed.name}: not sealed" in err


def test_one_record_verifies_alone_and_is_never_resealed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = make_chain(tmp_path, ["organization-init", "root-centralization"])
    code, out, _ = verify(made[1], capsys)
    assert (code, out["verified"]) == (0, "True")
    with pytest.raises(RecordError, match="already sealed"):
        chain.seal(made[1], {})


def test_nested_chains_are_verified_with_their_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_chain(tmp_path / "rehearsal", ["organization-init"])
    code, out, _ = verify(tmp_path, capsys)
    assert (code, out["records"]) == (0, "1")
    (tmp_path / "rehearsal" / chain.HEAD).unlink()
    code, out, _ = verify(tmp_path, capsys)
    assert code == ExitCode.FAILED and out["first_broken"] == f"rehearsal/{chain.HEAD}"


def test_scrubber_finds_each_kind_and_leaves_ids_alone() -> None:
    key_id, secret, token = "AKIA" + "".join(secrets.choice(string.ascii_uppercase) for _ in range(16)), random_b64(40), random_b64(356)
    scrubber = Scrubber()
    scrubber.add_known(["p4ss-Word!"])
    text = (
        f"key {key_id} and {secret}, token {token}; "
        f'"SecretAccessKey": "{random_b64(40)}" aws_session_token = {random_b64(20)} login p4ss-Word! '
        "account 111122223333 arn:aws:iam::111122223333:role/OrganizationAccountAccessRole "
        "plan 3eb8b50df50a4619f5e83add532e74e58710c87a3b033a54d7699b4c1c320d23 commit c079f5143309e12e99fe4d400c3f43e62d65d430 "
        "request car-0123456789abcdef0123456789abcdef path /tmp/pytest-of-root/pytest-3/test_x0/reports/20261128T120000Z-migration"
    )
    clean = scrubber.text(text)
    assert not any(s in clean for s in (key_id, secret, token, "p4ss-Word!"))
    assert scrubber.found == {ACCESS_KEY_ID: 1, SECRET_ACCESS_KEY: 1, SESSION_TOKEN: 1, SECRET_FIELD: 2, KNOWN_SECRET: 1}
    for kept in (
        "111122223333",
        "OrganizationAccountAccessRole",
        "3eb8b50df50a4619",
        "c079f5143309",
        "car-0123456789abcdef",
        "20261128T120000Z",
    ):
        assert kept in clean
    assert scrubber.text(clean) == clean  # scrubbing twice changes nothing more


def test_a_known_short_secret_never_eats_part_of_an_id() -> None:
    scrubber = Scrubber()
    scrubber.add_known(["123456"])
    assert scrubber.text("otp 123456 for 111123456789") == f"otp {marker(KNOWN_SECRET)} for 111123456789"


LEAKY_CELLS = [
    ("parameters", 'key_id = ""\nsecret = ""\ntoken = ""\napi_token = ""\nrecord_dir = ""'),
    (
        "leak",
        "import os\nfrom pathlib import Path\nfrom orgnb.engine.journal import Journal\n"
        "print(key_id, secret, token, api_token, os.environ['AWS_SECRET_ACCESS_KEY'])\n"
        "print(f'aws_secret_access_key = {secret}')\n"
        "journal = Journal(Path(record_dir) / 'journal.jsonl', 'r', 'leaky')\n"
        "journal.write('done', step='s', note=f'{key_id} {secret} {token}', api_token=api_token)",
    ),
    (
        "check-disk-mid-run",
        "on_disk = Path(record_dir, 'notebook.ipynb').read_text() + Path(record_dir, 'journal.jsonl').read_text()\n"
        "leaked = [v for v in (key_id, secret, token, api_token, os.environ['AWS_SECRET_ACCESS_KEY']) if v in on_disk]\n"
        "assert 'aws_secret_access_key' in on_disk and not leaked, leaked\nprint('disk clean mid-run')",
    ),
    ("fail", "raise RuntimeError(f'failing on purpose with {key_id}')"),
]


def leaky_notebook(path: Path) -> Path:
    """A notebook that prints and journals every kind of secret, checks the disk mid-run, then fails."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Leaky\n\n## Leak")]
    for tag, source in LEAKY_CELLS:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_injected_secrets_never_reach_disk_and_a_failed_run_is_a_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_secret = "env-" + random_b64(24)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", env_secret)
    values = {
        "key_id": "ASIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16)),
        "secret": random_b64(40),
        "token": random_b64(400),
        "api_token": "hunter2-correct-horse",  # no secret's shape: caught by its parameter's name
    }
    folder = tmp_path / "reports" / "20261128T120000Z-leaky"
    folder.mkdir(parents=True)
    result = execute_record("leaky", leaky_notebook(tmp_path / "leaky.ipynb"), folder, {**values, "record_dir": str(folder)}, None)
    assert result.exit_code == ExitCode.FAILED and result.outcome == "failed"
    assert result.failed_cell == 'code cell 5 (In [5]) under "Leak"'
    assert result.redacted >= 5 and ("redacted", f"{result.redacted} secret(s) replaced by markers (see record.json)") in result.lines()
    for path in (tmp_path / "reports").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not [k for k, v in {**values, "env": env_secret}.items() if v.encode() in data], path
    nb = nbformat.read(folder / records.NOTEBOOK, as_version=4)
    assert "disk clean mid-run" in (folder / records.NOTEBOOK).read_text()
    assert any("papermill-error-cell-tag" in c.metadata.get("tags", []) for c in nb.cells)  # papermill's error banner
    manifest = chain.read_manifest(folder)
    assert (manifest["outcome"], manifest["exit_code"], manifest["failed_cell"]["heading"]) == ("failed", 1, "Leak")
    found = manifest["redactions"][records.NOTEBOOK]
    assert {ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, SECRET_PARAMETER, KNOWN_SECRET} <= set(found)
    assert manifest["redactions"][records.JOURNAL]
    assert "RuntimeError" in (folder / records.HTML).read_text() and chain.verify_path(folder.parent) == []


def test_diff_names_what_changed_between_two_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = make_chain(tmp_path, ["migration", "migration"])
    manifest = chain.read_manifest(new)
    assert manifest["previous"]["record"] == old.name
    assert main(["records", "diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "-done s0" in out and "+done s1" in out and "journal_lines_changed: 2" in out and "manifest_changes: 0" in out
    assert main(["records", "diff", str(old), str(tmp_path)]) == 1
    assert "is not a sealed record" in capsys.readouterr().err


def test_only_secret_names_count_as_secrets() -> None:
    brownfield = yaml.safe_load((Path(__file__).resolve().parent.parent / "parameters" / "brownfield.yaml").read_text())
    assert secret_named_values(brownfield) == []  # attestations, contacts and credentials_management are not secrets
    assert sorted(secret_named_values({**brownfield, "otps": {"aws+a@example.com": 123456, "aws+b@example.com": "Ab3dE9"}})) == [
        "123456",
        "Ab3dE9",
    ]
    counts = {"iam:EnableOrganizationsRootCredentialsManagement": 1, "has_password": True, "SessionToken": "x" * 20}
    assert redact(counts) == {**counts, "SessionToken": marker("secret-field")}


def test_the_parameters_model_names_its_secrets_and_a_run_hides_them(tmp_path: Path) -> None:
    from orgnb.input.parameters import SECRET, Parameters, load_parameters

    assert [name for name, info in Parameters.model_fields.items() if info.json_schema_extra == SECRET] == ["otps"]
    text = (Path(__file__).resolve().parent.parent / "parameters" / "brownfield.yaml").read_text()
    assert load_parameters(Path(__file__).resolve().parent.parent / "parameters" / "brownfield.yaml").secrets() == []
    path = tmp_path / "p.yaml"
    path.write_text(text + '\notps:\n  "aws+a@example.com": "Ab3dE9"\n')
    secrets = load_parameters(path).secrets()
    assert secrets == ["Ab3dE9"]
    assert "Ab3dE9" not in run_scrubber(secrets).text("the passcode is Ab3dE9")


def test_one_record_verifies_its_own_manifest_against_the_link_forward(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = make_chain(tmp_path, ["organization-init", "root-centralization", "account-creation"])
    # a consistent rewrite of one record (file, its digest in the manifest, the outcome): only the next link knows
    status = made[1] / records.STATUS
    status.write_text(status.read_text().replace("applied", "no-changes"))
    manifest = chain.read_manifest(made[1])
    manifest["files"][records.STATUS], manifest["outcome"] = chain.sha256_file(status), "no-changes"
    (made[1] / chain.MANIFEST).write_text(json.dumps(manifest))
    code, out, err = verify(made[1], capsys)
    assert code == ExitCode.FAILED and out["first_broken"] == f"{made[1].name}/{chain.MANIFEST}" and made[2].name in err


def test_malformed_links_and_an_expected_head_are_reported_not_crashed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = make_chain(tmp_path, ["organization-init", "root-centralization"])
    code, out, _ = verify(tmp_path, capsys)
    head = out["head"]
    assert main(["records", "verify", str(tmp_path), "--expect-head", head]) == 0
    capsys.readouterr()
    # the newest record removed and chain.json moved back to the one before: only the kept digest notices
    shutil.rmtree(made[1])
    first = chain.read_manifest(made[0])
    (tmp_path / chain.HEAD).write_text(
        json.dumps({"head": {"record": made[0].name, "manifest_sha256": chain.sha256_file(made[0] / chain.MANIFEST), "length": 1}})
    )
    assert verify(tmp_path, capsys)[0] == 0
    assert main(["records", "verify", str(tmp_path), "--expect-head", head]) == ExitCode.FAILED
    assert "not the expected" in capsys.readouterr().err
    (tmp_path / chain.HEAD).write_text(json.dumps({"head": {"record": 7}}))
    code, out, _ = verify(tmp_path, capsys)
    assert code == ExitCode.FAILED and out["first_broken"] == chain.HEAD
    assert first["previous"] is None


def test_an_interrupted_run_is_sealed_as_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "20261128T120000Z-migration"
    folder.mkdir()
    (folder / records.JOURNAL).write_text(json.dumps({"event": "begin", "step": "leave:1", "ts": "t"}) + '\n{"event": "do')  # torn
    assert verify(tmp_path, capsys)[0] == ExitCode.FAILED
    assert main(["records", "seal", str(folder)]) == 0
    capsys.readouterr()
    manifest = chain.read_manifest(folder)
    assert (manifest["outcome"], manifest["mode"], manifest["steps_applied"]) == ("interrupted", "sealed-after-interruption", [])
    assert verify(tmp_path, capsys)[0] == 0
