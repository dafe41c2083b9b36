"""End to end with the AWS CLI, unchanged, against `orgnb sandbox --scenario brownfield`: migration and root flows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
AWS = Path(sys.executable).parent / "aws"
MEMBER_A = "444455556666"


@pytest.fixture
def served(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "orgnb.cli", "sandbox", "--scenario", "brownfield", "--profiles-dir", str(tmp_path / "profiles")],
        stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while not any(line.startswith("profiles:") for line in lines) and time.monotonic() < deadline:
        lines.append(server.stdout.readline().strip())
    env.update(line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export "))
    yield env
    server.terminate()
    server.wait(timeout=30)


def aws(env: dict[str, str], *args: str, profile: str | None = "management") -> Any:
    command = [str(AWS), *args, "--output", "json", "--region", "us-east-1"] + (["--profile", profile] if profile else [])
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, f"{' '.join(args)}: {result.stderr}"
    return json.loads(result.stdout) if result.stdout.strip() else {}


def test_migration_and_root_flows_through_the_aws_cli(served: dict[str, str]) -> None:
    env = served
    assert aws(env, "organizations", "create-organization", "--feature-set", "ALL")["Organization"]["FeatureSet"] == "ALL"
    invite = aws(env, "organizations", "invite-account-to-organization", "--target", f"Id={MEMBER_A},Type=ACCOUNT")["Handshake"]
    assert invite["State"] == "OPEN"
    aws(
        env,
        "organizations",
        "deregister-delegated-administrator",
        "--account-id",
        MEMBER_A,
        "--service-principal",
        "guardduty.amazonaws.com",
        profile="old-management",
    )
    received = aws(env, "organizations", "list-handshakes-for-account", profile="old-member-a")["Handshakes"]
    assert [h["Id"] for h in received] == [invite["Id"]]
    aws(env, "organizations", "leave-organization", profile="old-member-a")
    assert (
        aws(env, "organizations", "accept-handshake", "--handshake-id", invite["Id"], profile="old-member-a")["Handshake"]["State"]
        == "ACCEPTED"
    )
    assert aws(env, "organizations", "describe-organization", profile="old-member-a")["Organization"]["MasterAccountId"] == "111122223333"

    aws(env, "organizations", "enable-aws-service-access", "--service-principal", "iam.amazonaws.com")
    assert aws(env, "iam", "enable-organizations-root-credentials-management")["EnabledFeatures"] == ["RootCredentialsManagement"]
    assert aws(env, "iam", "list-organizations-features")["EnabledFeatures"] == ["RootCredentialsManagement"]

    def root(task: str) -> dict[str, str]:
        creds = aws(
            env, "sts", "assume-root", "--target-principal", MEMBER_A, "--task-policy-arn", f"arn=arn:aws:iam::aws:policy/root-task/{task}"
        )["Credentials"]
        return {
            **env,
            "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"],
        }

    keys = aws(root("IAMAuditRootUserCredentials"), "iam", "list-access-keys", profile=None)["AccessKeyMetadata"]
    assert len(keys) == 1
    aws(root("IAMDeleteRootUserCredentials"), "iam", "delete-access-key", "--access-key-id", keys[0]["AccessKeyId"], profile=None)
    assert aws(root("IAMAuditRootUserCredentials"), "iam", "list-access-keys", profile=None)["AccessKeyMetadata"] == []
