"""End to end with the AWS CLI, unchanged, against `orgnb sandbox --scenario brownfield`.

The contract test's flows run again, each call made by `aws <service> <operation> --cli-input-json`, and every
answer is checked against botocore's output shape: every emulated operation answers the AWS CLI in shape.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from orgnb.sandbox import Sandbox
from tests.shapes import shape_problems
from tests.test_sandbox_contract import EMULATED, member_initialization_flow, migration_flow, root_flow, stack_set_flow

ROOT = Path(__file__).resolve().parent.parent
AWS = Path(sys.executable).parent / "aws"


class CliClient:
    """A boto3-like client whose every call is one run of the AWS CLI."""

    def __init__(self, recorder: CliRecorder, service: str, env: dict[str, str], profile: str | None) -> None:
        self._recorder, self._service, self._env, self._profile = recorder, service, env, profile
        self._model = boto3.client(service, region_name="us-east-1").meta.service_model

    def __getattr__(self, method: str) -> Any:
        operation = next(
            op for op in self._model.operation_names if re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower().replace("a_w_s", "aws") == method
        )

        def call(**params: Any) -> Any:
            command = [
                str(AWS),
                self._service,
                re.sub(r"_", "-", method),
                "--cli-input-json",
                json.dumps(params),
                "--output",
                "json",
                "--region",
                "us-east-1",
            ]
            command += ["--profile", self._profile] if self._profile else []
            result = subprocess.run(command, capture_output=True, text=True, env=self._env, timeout=60)
            assert result.returncode == 0, f"aws {self._service} {method}: {result.stderr}"
            parsed = json.loads(result.stdout) if result.stdout.strip() else {}
            self._recorder.record(self._service, operation, self._model.operation_model(operation).output_shape, parsed)
            return parsed

        return call


class CliRecorder:
    """The contract test's recorder, for the AWS CLI."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.seen: set[tuple[str, str]] = set()
        self.problems: list[str] = []

    def record(self, service: str, operation: str, shape: Any, parsed: dict[str, Any]) -> None:
        self.seen.add((service, operation))
        self.problems += [f"{operation}: {p}" for p in shape_problems(shape, parsed, text_timestamps=True)]

    def client(self, profile: str, service: str) -> CliClient:
        return CliClient(self, service, self.env, profile)

    def session(self, aws_access_key_id: str, aws_secret_access_key: str, aws_session_token: str) -> Any:
        env = {
            **self.env,
            "AWS_ACCESS_KEY_ID": aws_access_key_id,
            "AWS_SECRET_ACCESS_KEY": aws_secret_access_key,
            "AWS_SESSION_TOKEN": aws_session_token,
        }
        recorder = self

        class _Session:
            def client(self, service: str) -> CliClient:
                return CliClient(recorder, service, env, None)

        return _Session()


@pytest.fixture
def served(brownfield: Sandbox) -> dict[str, str]:
    """The environment of an AWS CLI subprocess aimed at the test session's brownfield sandbox (HTTP on loopback)."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **brownfield.environ()}


@pytest.mark.soak
def test_all_emulated_operations_answer_the_aws_cli_in_shape(served: dict[str, str], brownfield: Sandbox) -> None:
    rec = CliRecorder(served)
    migration_flow(rec, brownfield)  # type: ignore[arg-type]
    root_flow(rec)  # type: ignore[arg-type]
    member_initialization_flow(rec, brownfield)  # type: ignore[arg-type]
    stack_set_flow(rec)  # type: ignore[arg-type]
    assert rec.problems == []
    for service, operations in EMULATED.items():
        answered = {op for svc, op in rec.seen if svc == service}
        assert operations <= answered, f"{service}: not exercised through the CLI: {sorted(operations - answered)}"
