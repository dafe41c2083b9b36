"""The one place that makes boto3 sessions and clients, and counts the API calls they make.

Credentials come from a named profile or the default chain (environment, SSO, instance roles). Endpoints
follow botocore's own rules, so the standard `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables and a
profile's `endpoint_url` work as they do for the AWS CLI. Every client retries with botocore's standard mode.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pandas as pd
from botocore.client import BaseClient
from botocore.config import Config

from orgnb.aws.apicalls import is_write
from orgnb.aws.pacing import TokenBucket

# Ten attempts: with 30 % of calls throttled, one call in ~170,000 still fails (0.3^10), where five attempts would
# fail one in ~400, several per run. The first call of a run has its own fast-failing probe (guards.check_reachable).
RETRY_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 10}, user_agent_appid="orgnb", connect_timeout=10, read_timeout=60)
SINGLE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})
MEMBER_ROLE = "OrganizationAccountAccessRole"
ROOT_TASK_POLICY_ARN = "arn:aws:iam::aws:policy/root-task/{}"
# A root session serves one account's audit or deletion: a handful of calls. Standard-mode retries back off
# at most 20 s, so even one call that needs all ten attempts fits in five minutes; AWS allows up to 900 s.
ROOT_SESSION_SECONDS = 300

# Call scopes: whose permissions a call used. Only CALLER's calls need the operator's (or CI role's) own policy.
CALLER = "caller"
MEMBER_ROLE_SCOPE = "member-role"
ROOT_SESSION_SCOPE = "root-session"
ACCOUNT_PROFILE_SCOPE = "account-profile"


@dataclass
class CallCounter:
    """API calls made through a context, by `service:Operation`, with writes counted apart."""

    calls: Counter[str] = field(default_factory=Counter)
    writes: Counter[str] = field(default_factory=Counter)
    # who made each call: the caller's own credentials, a role inside a member, a root session, an account's profile
    by_scope: dict[str, Counter[str]] = field(default_factory=dict)
    # seconds spent waiting for AWS, summed over calls (retries and back-off included; overlapping calls add up)
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, service: str, operation: str, scope: str = CALLER, seconds: float = 0.0) -> None:
        """Count one call of `operation` on `service`, made in `scope`, that took `seconds`."""
        key = f"{service}:{operation}"
        with self._lock:  # the tree walk counts from several threads
            self.calls[key] += 1
            self.by_scope.setdefault(scope, Counter())[key] += 1
            if is_write(operation):
                self.writes[key] += 1
            self.seconds += seconds

    @property
    def total(self) -> int:
        """Every call counted."""
        return sum(self.calls.values())

    @property
    def write_total(self) -> int:
        """Every call that may have changed state."""
        return sum(self.writes.values())

    def frame(self) -> pd.DataFrame:
        """The counts as a table, one row per operation."""
        rows = [{"operation": k, "calls": n, "write": k in self.writes} for k, n in sorted(self.calls.items())]
        return pd.DataFrame(rows, columns=["operation", "calls", "write"])

    def operations(self) -> dict[str, dict[str, int]]:
        """Calls by scope and `service:Operation`, sorted (what a record keeps and `orgnb policy` reads)."""
        return {scope: dict(sorted(ops.items())) for scope, ops in sorted(self.by_scope.items())}


# Every session shares one botocore loader: a new session (one per assumed role or root session) would otherwise
# parse each service's model and the endpoint rules from disk again, about 50 ms a client.
_LOADER = botocore.loaders.create_loader()
_LOADER_LOCK = threading.Lock()


def new_session(**kwargs: Any) -> boto3.Session:
    """A boto3 session (profile or explicit credentials in `kwargs`) whose service models come from the shared loader."""
    core = botocore.session.Session()
    core.register_component("data_loader", _LOADER)
    if kwargs.get("profile_name"):
        core.set_config_variable("profile", kwargs["profile_name"])
        core.get_scoped_config()  # a profile that does not exist fails here (ProfileNotFound), as boto3's own would
    session = boto3.Session(botocore_session=core, **kwargs)
    with _LOADER_LOCK:  # each boto3 session appends its own data folder to the loader's search path: keep one of each
        _LOADER.search_paths[:] = list(dict.fromkeys(_LOADER.search_paths))
    return session


def _install_counter(session: boto3.Session, counter: CallCounter, scope: str) -> None:
    started = threading.local()

    def on_start(**_: Any) -> None:
        started.at = time.monotonic()

    def on_call(event_name: str, model: Any = None, **_: Any) -> None:
        # after-call carries the operation model; after-call-error (no answer: connection refused, timeout) only names
        # it in the event: after-call-error.<service id>.<Operation>
        seconds = time.monotonic() - getattr(started, "at", time.monotonic())
        if model is not None:
            counter.record(model.service_model.service_name, model.name, scope, seconds)
        else:
            _event, service, operation = event_name.split(".", 2)
            counter.record(service, operation, scope, seconds)

    session.events.register("before-call", on_start, unique_id="orgnb-call-clock")
    session.events.register("after-call", on_call, unique_id="orgnb-call-counter")
    session.events.register("after-call-error", on_call, unique_id="orgnb-call-counter-error")


def _pace(client: BaseClient, bucket: TokenBucket) -> None:
    """Make every request `client` sends (each attempt: botocore's before-send event) wait for a token of `bucket`."""

    def before_send(**_: Any) -> None:  # returning None lets botocore send the request
        bucket.acquire()

    client.meta.events.register(f"before-send.{client.meta.service_model.service_id.hyphenize()}", before_send, unique_id="orgnb-pace")


class AwsContext:
    """A boto3 session with its region and call counter; makes every client orgnb uses."""

    def __init__(
        self, session: boto3.Session, region: str, counter: CallCounter | None = None, account_hint: str = "", scope: str = CALLER
    ) -> None:
        self.session = session
        self.region = region
        self.counter = counter if counter is not None else CallCounter()
        self.account_hint = account_hint
        self.scope = scope
        self._clients: dict[str, BaseClient] = {}
        self._profiles: dict[str, AwsContext] = {}
        _install_counter(session, self.counter, scope)

    def for_profile(self, profile: str, scope: str) -> tuple[AwsContext, bool]:
        """A context through another named profile, sharing this one's region and counter, made once per run;
        with True when it was made by this call."""
        made = profile not in self._profiles
        if made:
            self._profiles[profile] = make_context(profile, self.region, self.counter, scope=scope)
        return self._profiles[profile], made

    def forget_profile(self, profile: str) -> None:
        """Drop the context kept for `profile` (one that failed its checks is made and checked again next time)."""
        self._profiles.pop(profile, None)

    def client(
        self, service: str, region: str | None = None, single_attempt: bool = False, calls_per_second: float | None = None
    ) -> BaseClient:
        """A client for `service` in this context's region (or `region`), made once and reused.

        `single_attempt` turns the SDK's retries off, for writes AWS gives no idempotency token (CreateAccount):
        a retry after a lost answer could make a second request. `calls_per_second` paces the client, for reads
        fanned out over threads: every attempt, retries included, first takes a token from the client's own
        bucket (orgnb.aws.pacing), so the client never sends faster, however many threads share it. That replaces
        botocore's adaptive mode: on a throttle, its limiter cuts every thread to 70 % of the send rate it has
        measured, a smoothed figure that early in a walk is a fraction of the real one.
        """
        if single_attempt and calls_per_second:
            raise ValueError("a client is either single-attempt (writes) or paced (fanned-out reads), not both")
        mode = "/once" if single_attempt else f"/paced{calls_per_second}" if calls_per_second else ""
        key = f"{service}@{region or self.region}{mode}"
        if key not in self._clients:
            config = RETRY_CONFIG.merge(SINGLE_ATTEMPT) if single_attempt else RETRY_CONFIG
            self._clients[key] = client = self.session.client(service, region_name=region or self.region, config=config)
            if calls_per_second:
                _pace(client, TokenBucket.pacing(calls_per_second))
        return self._clients[key]

    def profile_setting(self, key: str) -> str | None:
        """A setting of the session's AWS config profile (None when absent)."""
        value = self.session._session.get_scoped_config().get(key)  # noqa: SLF001 - botocore exposes no public accessor
        return str(value) if value is not None else None

    def endpoint_url(self, service: str) -> str:
        """The endpoint the client for `service` sends requests to."""
        return str(self.client(service).meta.endpoint_url)

    def inside(self, account_id: str, role_name: str = MEMBER_ROLE, duration_seconds: int = 900) -> AwsContext:
        """A context acting inside `account_id` through `role_name`; credentials stay in memory only."""
        creds = self.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}",
            RoleSessionName="orgnb",
            DurationSeconds=duration_seconds,
        )["Credentials"]
        return self._with_credentials(creds, account_id, MEMBER_ROLE_SCOPE)

    def as_root(self, account_id: str, task_policy: str, duration_seconds: int = ROOT_SESSION_SECONDS) -> AwsContext:
        """A context acting as a member's root user within one root-task policy (sts:AssumeRoot); never displayed."""
        creds = self.client("sts").assume_root(
            TargetPrincipal=account_id,
            TaskPolicyArn={"arn": ROOT_TASK_POLICY_ARN.format(task_policy)},
            DurationSeconds=duration_seconds,
        )["Credentials"]
        return self._with_credentials(creds, account_id, ROOT_SESSION_SCOPE)

    def _with_credentials(self, creds: dict[str, Any], account_id: str, scope: str) -> AwsContext:
        session = new_session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=self.region,
        )
        return AwsContext(session, self.region, self.counter, account_hint=account_id, scope=scope)

    def __repr__(self) -> str:  # never shows credentials
        return f"AwsContext(region={self.region!r}, profile={self.session.profile_name!r}, calls={self.counter.total})"


def make_context(profile: str | None, region: str, counter: CallCounter | None = None, scope: str = CALLER) -> AwsContext:
    """A context from a named profile, or from the default credential chain when `profile` is None."""
    session = new_session(profile_name=profile, region_name=region) if profile else new_session(region_name=region)
    return AwsContext(session, region, counter, scope=scope)
