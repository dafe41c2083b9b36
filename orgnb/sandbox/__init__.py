"""The rehearsal sandbox: an emulated multi-account AWS on loopback (moto plus orgnb's fixes).

The runbook code never imports this package; it only talks HTTP to it, as it would to AWS.

    with Sandbox("greenfield") as sandbox:
        os.environ.update(sandbox.environ())   # AWS_ENDPOINT_URL, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3

from orgnb.aws.adminclient import admin_call
from orgnb.errors import ParameterError, ParameterProblem, SandboxError
from orgnb.sandbox import creation, patches, registry, rootaccess, state
from orgnb.sandbox.calllog import Call, CallLog
from orgnb.sandbox.faults import Faults
from orgnb.sandbox.scenarios import SCENARIOS, SandboxAccount, Scenario
from orgnb.sandbox.server import SandboxApp, ServerThread, moto_app

__all__ = ["Sandbox", "Scenario", "SandboxAccount", "SCENARIOS", "Call"]

OPERATOR_USER = "orgnb-operator"
_running_lock = threading.Lock()
_HANDLER = b"def handler(event, context):\n    return {'statusCode': 200}\n"


def _reset_state() -> None:
    """moto's state, and every store and setting the sandbox's modules registered (state), back to the start."""
    from moto.moto_api._internal.models import moto_api_backend
    from moto.organizations.models import organizations_backends

    moto_api_backend.reset()
    organizations_backends.master_accounts.clear()
    state.reset()


def _seed_ids(scenario: str) -> None:
    """Ids (accounts, organizations, OUs, handshakes, requests) come from a sequence seeded by the scenario's name, so
    the same calls give the same ids: records and snapshots repeat run to run."""
    from moto.moto_api._internal import mock_random

    mock_random.seed(zlib.crc32(scenario.encode()))


def _register(account: SandboxAccount) -> None:
    """Put a scenario account's facts in the registry; a member made by its seed's CreateAccount keeps what creation
    gave it (its creation date, the contact cloned from its management account)."""
    made = registry.REGISTRY.get(account.account_id)
    contact = dict(account.contact_information) if account.contact_information else None
    registry.REGISTRY[account.account_id] = registry.AccountRecord(
        account.account_id,
        account.name,
        account.email,
        created_at=made.created_at if made else datetime.now(UTC) - timedelta(days=account.created_days_ago),
        contact_information=contact or (made.contact_information if made else None),
        root=rootaccess.seed_root_credentials(account),
        payment_method=account.payment_method,
    )


def _operator_key(account: SandboxAccount) -> tuple[str, str]:
    """Create the operator user in `account` and return the user's (access key id, secret)."""
    from moto.iam.models import iam_backends

    iam = iam_backends[account.account_id]["aws"]
    iam.create_user("us-east-1", OPERATOR_USER)
    key = iam.create_access_key(OPERATOR_USER)
    return key.access_key_id, key.secret_access_key


class Builder:
    """What a scenario's seed function uses: clients acting inside each scenario account, over HTTP."""

    def __init__(self, scenario: Scenario, url: str, keys: dict[str, tuple[str, str]]) -> None:
        self.scenario = scenario
        self._url = url
        self._keys = keys

    def client(self, profile: str, service: str) -> Any:
        """A boto3 client acting as the operator of `profile`'s account."""
        key_id, secret = self._keys[profile]
        return boto3.client(
            service, region_name=self.scenario.region, endpoint_url=self._url, aws_access_key_id=key_id, aws_secret_access_key=secret
        )

    @contextlib.contextmanager
    def fixed_account_ids(self, ids: list[str]) -> Iterator[None]:
        """Accounts created in the block get `ids`, in order (scenario members keep stable ids)."""
        from moto.organizations import utils

        original = utils.make_random_account_id
        pending = iter(ids)
        utils.make_random_account_id = lambda: next(pending)
        try:
            yield
        finally:
            utils.make_random_account_id = original

    @staticmethod
    def zipped_handler() -> bytes:
        """A deployment package with a trivial handler."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("app.py", _HANDLER)
        return buffer.getvalue()


def _scenario(name: str) -> Scenario:
    if name not in SCENARIOS:
        problem = ParameterProblem("scenario", f"unknown scenario {name!r}", f"use one of {', '.join(SCENARIOS)}")
        raise ParameterError([problem], "sandbox")
    return SCENARIOS[name]


class Sandbox:
    """One emulated AWS estate: a server on 127.0.0.1, a scenario's accounts, and profiles to reach them."""

    def __init__(
        self, scenario: str = "greenfield", port: int = 0, profiles_dir: str | Path | None = None, faults: dict[str, Any] | None = None
    ) -> None:
        self.scenario = _scenario(scenario)
        self.instance_id = f"sbx-{secrets.token_hex(6)}"
        self.calllog = CallLog()
        self._own_profiles_dir = profiles_dir is None
        self.profiles_dir = Path(profiles_dir) if profiles_dir else Path(tempfile.mkdtemp(prefix="orgnb-sandbox-"))
        self._port = port
        self._faults_spec = dict(faults or {})
        self._server: ServerThread | None = None

    @property
    def url(self) -> str:
        """The endpoint URL for every service."""
        if self._server is None:
            raise SandboxError("the sandbox is not running")
        return self._server.url

    @property
    def config_file(self) -> Path:
        """The AWS config file with one profile per scenario account."""
        return self.profiles_dir / "config"

    @property
    def credentials_file(self) -> Path:
        """The AWS shared credentials file (sandbox keys, made at start)."""
        return self.profiles_dir / "credentials"

    def info(self) -> dict[str, Any]:
        """What the admin route answers."""
        return {
            "instance_id": self.instance_id,
            "scenario": self.scenario.name,
            "profiles": {a.profile: a.account_id for a in self.scenario.accounts},
        }

    def environ(self) -> dict[str, str]:
        """Environment variables that point boto3 and the AWS CLI at this sandbox."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_CONFIG_FILE": str(self.config_file),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.credentials_file),
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def start(self) -> Sandbox:
        """Start serving and seed the scenario (one sandbox per process: moto's state is global)."""
        if not _running_lock.acquire(blocking=False):
            raise SandboxError("a sandbox is already running in this process; stop it first")
        try:
            # moto loads thousands of AMIs into every new EC2 backend unless told not to; scenarios need none
            os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
            patches.install()
            self._server = ServerThread(SandboxApp(moto_app(), self.calllog, self.info), "127.0.0.1", self._port)
            self._server.start()
            self.reset()
        except Exception:
            _running_lock.release()
            raise
        return self

    def reset(self, scenario: str | None = None, faults: dict[str, Any] | None = None) -> None:
        """Back to a scenario's starting state (this one's, or `scenario`): fresh moto state, new keys, empty log.

        `faults`, when given, replaces the faults in force once the scenario is built (as `--faults` does at start).
        """
        if scenario is not None:
            self.scenario = _scenario(scenario)
        if faults is not None:
            self._faults_spec = dict(faults)
        assert self._server is not None
        app = self._server.app
        app.faults = Faults()  # the scenario is built without faults; they start counting afterwards
        _reset_state()
        _seed_ids(self.scenario.name)
        keys = {account.profile: _operator_key(account) for account in self.scenario.accounts}
        # members of a scenario's old organization come into being through its CreateAccount calls
        for account in self.scenario.accounts:
            if account.profile not in self.scenario.members:
                _register(account)
        self._write_profiles(keys)
        if self.scenario.seed is not None:
            with creation.instant():  # the seed builds years of history: its CreateAccount requests end at once
                self.scenario.seed(Builder(self.scenario, self.url, keys))
        for account in self.scenario.accounts:
            if account.profile in self.scenario.members:
                _register(account)
        self.calllog.clear()
        app.faults = Faults.from_dict(self._faults_spec)

    def _write_profiles(self, keys: dict[str, tuple[str, str]]) -> None:
        self.profiles_dir.mkdir(parents=True, exist_ok=True)
        config, creds = [], []
        for account in self.scenario.accounts:
            key_id, secret = keys[account.profile]
            config += [
                f"[profile {account.profile}]",
                f"region = {self.scenario.region}",
                f"endpoint_url = {self.url}",
                f"orgnb_sandbox = {self.instance_id}",
                "",
            ]
            creds += [f"[{account.profile}]", f"aws_access_key_id = {key_id}", f"aws_secret_access_key = {secret}", ""]
        for path, lines in ((self.config_file, config), (self.credentials_file, creds)):
            path.write_text("\n".join(lines), encoding="utf-8")
            os.chmod(path, 0o600)

    def admin(self, route: str, payload: dict[str, Any] | None = None) -> Any:
        """GET an admin route under /orgnb-api/, or POST `payload` to it; the JSON answer."""
        return admin_call(self.url, route, payload)

    def settings(self, **changes: Any) -> dict[str, Any]:
        """Change the sandbox's settings by their admin names (state.configure, FIDELITY.md's "Settings"); returns them all."""
        return dict(self.admin("settings", changes))

    def calls(self, writes_only: bool = False) -> list[Call]:
        """The calls served so far."""
        return self.calllog.calls(writes_only)

    def stop(self) -> None:
        """Stop serving and remove the profiles this sandbox created."""
        if self._server is None:
            return
        self._server.stop()
        self._server = None
        if self._own_profiles_dir:
            shutil.rmtree(self.profiles_dir, ignore_errors=True)
        _running_lock.release()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
