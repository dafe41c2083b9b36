"""Pre-flight guards: refuse before any write when the caller or the endpoints are not what the run expects.

Sandbox or real AWS: the rehearsal sandbox writes `orgnb_sandbox = <instance id>` into the AWS config profiles it
makes, and answers its instance id at `SANDBOX_ROUTE`. A run is refused when sandbox credentials point at any
endpoint that is not that sandbox, or when any other credentials point at a local endpoint (a sandbox or
anything else on loopback). The check reads only the config and probes loopback addresses; it calls no AWS API.
"""

from __future__ import annotations

import socket
import urllib.error
from ipaddress import ip_address
from urllib.parse import urlsplit

from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProxyConnectionError,
    ReadTimeoutError,
    SSLError,
    SSOTokenLoadError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)

from orgnb.aws.adminclient import admin_call
from orgnb.aws.inventory import Inventory
from orgnb.aws.session import ACCOUNT_PROFILE_SCOPE, RETRY_CONFIG, AwsContext
from orgnb.errors import PreflightRefused
from orgnb.input.parameters import Parameters

SANDBOX_SETTING = "orgnb_sandbox"
SANDBOX_ROUTE = "instance"  # the sandbox admin route that answers its instance id
GUARDED_SERVICES = ("sts", "organizations", "iam", "account")
# The first call of a run fails fast: two attempts, three seconds to connect, ten to answer (well under 30 s in all),
# where the SDK's defaults would retry an unreachable endpoint for minutes.
REACH_PROBE = RETRY_CONFIG.merge(Config(retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=3, read_timeout=10))
THROTTLED_CODES = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"})
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired"})
REJECTED_CODES = frozenset({"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"})


def is_loopback(url: str) -> bool:
    """True when `url`'s host is on this machine (127.0.0.0/8, ::1, localhost)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ip_address(host)
    except ValueError:
        try:
            address = ip_address(socket.inet_aton(host))  # short forms such as 127.1
        except OSError:
            return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or address.is_unspecified or (mapped is not None and mapped.is_loopback))


def probe_sandbox(url: str, timeout: float = 10.0) -> str | None:
    """The instance id a sandbox at `url` answers, or None when nothing (or something else) answers.

    Nothing listening fails at once on loopback; the timeout only waits for a sandbox that is slow to answer (a busy
    machine), which must not be taken for another endpoint."""
    try:
        return str(admin_call(url, SANDBOX_ROUTE, timeout=timeout)["instance_id"])
    except (urllib.error.URLError, OSError, ValueError, KeyError):
        return None


def check_sandbox_mix(ctx: AwsContext, services: tuple[str, ...] = GUARDED_SERVICES) -> str | None:
    """Refuse mixed sandbox / real AWS settings; return the sandbox instance id when the run is a rehearsal."""
    claimed = ctx.profile_setting(SANDBOX_SETTING)
    for service in services:
        url = ctx.endpoint_url(service)
        local = is_loopback(url)
        answered = probe_sandbox(url) if local else None
        if claimed and answered != claimed:
            raise PreflightRefused(
                f"the profile is a sandbox profile ({SANDBOX_SETTING} = {claimed}) but {service} goes to {url}, "
                f"which is {'another sandbox' if answered else 'not that sandbox'}: point AWS_ENDPOINT_URL at the "
                "sandbox that wrote the profile, or use a real profile"
            )
        if not claimed and local:
            raise PreflightRefused(
                f"{service} goes to the local endpoint {url}, but the profile is not a sandbox profile: "
                "unset AWS_ENDPOINT_URL to reach AWS, or use the profiles the sandbox wrote (AWS_CONFIG_FILE)"
            )
    return claimed


def check_management_caller(params: Parameters, inventory: Inventory) -> None:
    """Refuse when the caller is not the parameters' management account, or manages no Organization of its own."""
    expected = params.organization.management_account_id
    caller = inventory.caller.account_id
    if caller != expected:
        raise PreflightRefused(
            f"the credentials belong to account {caller} ({inventory.caller.arn}), but organization.management_account_id "
            f"is {expected}: use the management account's profile, or correct the parameter"
        )
    org = inventory.organization
    if org is not None and org.management_account_id != caller:
        raise PreflightRefused(
            f"account {caller} is a member of organization {org.id} (managed by {org.management_account_id}); "
            "it must leave that organization before it can manage one (phase 05)"
        )


def profile_context(base: AwsContext, profile: str) -> AwsContext:
    """A context acting through another profile (inside an account to move), sharing `base`'s region and call
    counter, refused when it mixes the sandbox and real AWS; made and checked once per run and profile."""
    ctx, made = base.for_profile(profile, ACCOUNT_PROFILE_SCOPE)
    if made:
        try:
            check_sandbox_mix(ctx)
        except PreflightRefused:
            base.forget_profile(profile)
            raise
    return ctx


def account_context(base: AwsContext, account_id: str, profile: str | None) -> AwsContext:
    """A context acting inside `account_id`: through `profile` when given, else through OrganizationAccountAccessRole
    from `base` (the management account)."""
    return profile_context(base, profile) if profile else base.inside(account_id)


def check_reachable(ctx: AwsContext) -> None:
    """Refuse within seconds, saying which, when AWS cannot be reached or the credentials are missing, expired or
    rejected (sts:GetCallerIdentity, which needs no permission)."""
    profile = ctx.session.profile_name
    where = f"profile {profile}" if profile and profile != "default" else "the default credential chain"
    url = ctx.endpoint_url("sts")
    try:
        ctx.session.client("sts", region_name=ctx.region, config=REACH_PROBE).get_caller_identity()
    except (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError):
        raise PreflightRefused(
            f"no AWS credentials in {where}: set organization.profile, or sign in (aws sso login / aws configure)"
        ) from None
    except (SSOTokenLoadError, UnauthorizedSSOTokenError, TokenRetrievalError):
        raise PreflightRefused(
            f"the SSO session of {where} has expired or never started: run `aws sso login --profile {profile}`"
        ) from None
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError, ProxyConnectionError, SSLError) as exc:
        raise PreflightRefused(
            f"cannot reach AWS at {url} ({type(exc).__name__}): check the network, a proxy, or AWS_ENDPOINT_URL "
            "(it points at a sandbox that is not running?)"
        ) from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in THROTTLED_CODES:
            return  # AWS answered, and the credentials were read: busy is not unreachable
        if code in ("RequestExpired", "RequestTimeTooSkewed"):
            raise PreflightRefused(f"AWS refused the request's time ({code}): this machine's clock is off; set it right (NTP)") from None
        if code in EXPIRED_CODES:
            raise PreflightRefused(f"the credentials of {where} have expired ({code}): sign in again and re-run") from None
        if code in REJECTED_CODES:
            raise PreflightRefused(f"AWS rejected the credentials of {where} ({code}): they are wrong or revoked") from None
        raise
