"""Phase 07's writes. Each finds its policy by name and its target by the name the plan gives (root, OU path,
account id) when it runs, and treats AWS's "already so" answer as done, so a run killed between the write and its
journal entry resumes without a second write."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from orgnb.aws.listing import listed
from orgnb.aws.placement import OuResolver
from orgnb.aws.session import AwsContext
from orgnb.engine.apply import executor
from orgnb.engine.plan import Action, Step
from orgnb.input.guardrails import MANAGED_TAG, ROOT_TARGET

ENABLE_WAIT_SECONDS = 120


def _already(exc: ClientError, *codes: str) -> bool:
    return exc.response["Error"]["Code"] in codes


def _policy_id(ctx: AwsContext, name: str, kind: str) -> str:
    found = [p["Id"] for p in listed(ctx.client("organizations"), "list_policies", "Policies", Filter=kind) if p["Name"] == name]
    if not found:
        raise LookupError(f"no {kind} called {name}: run the phase again to create it")
    return str(found[0])


def _target_id(ctx: AwsContext, target: str) -> str:
    resolver = OuResolver(ctx)
    if target == ROOT_TARGET:
        return resolver.root_id()
    return target if target.isdigit() else resolver.id_for(target)


@executor(Action.ENABLE_POLICY_TYPE)
def _enable_policy_type(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    """EnablePolicyType, then ListRoots until the type is ENABLED: AWS enables it asynchronously (the API reference:
    "the policy type ... might show a status of PENDING_ENABLE"), and attaching before then is refused."""
    orgs, kind = ctx.client("organizations"), step.params["PolicyType"]
    root_id = OuResolver(ctx).root_id()
    try:
        orgs.enable_policy_type(RootId=root_id, PolicyType=kind)
    except ClientError as exc:
        if not _already(exc, "PolicyTypeAlreadyEnabledException"):
            raise
    deadline = time.monotonic() + ENABLE_WAIT_SECONDS
    while True:
        root = next(r for r in listed(orgs, "list_roots", "Roots") if r["Id"] == root_id)
        if any(t["Type"] == kind and t["Status"] == "ENABLED" for t in root.get("PolicyTypes", [])):
            return {"policy_type": kind}
        if time.monotonic() > deadline:
            raise TimeoutError(f"{kind} still not ENABLED on {root_id} after {ENABLE_WAIT_SECONDS} s: run the phase again")
        time.sleep(2)


@executor(Action.CREATE_POLICY)
def _create_policy(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    p = step.params
    try:
        made = ctx.client("organizations").create_policy(
            Content=p["Content"], Description=p["Description"], Name=p["Name"], Type=p["Type"], Tags=[{"Key": MANAGED_TAG, "Value": "true"}]
        )
        return {"policy_id": made["Policy"]["PolicySummary"]["Id"]}
    except ClientError as exc:
        if not _already(exc, "DuplicatePolicyException"):
            raise
    return {"policy_id": _policy_id(ctx, p["Name"], p["Type"])}


@executor(Action.UPDATE_POLICY)
def _update_policy(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    policy_id = _policy_id(ctx, step.params["Name"], step.params["Type"])
    ctx.client("organizations").update_policy(PolicyId=policy_id, Content=step.params["Content"])
    return {"policy_id": policy_id}


def _attachment(ctx: AwsContext, step: Step, operation: str, already: str) -> Mapping[str, Any]:
    """AttachPolicy or DetachPolicy for the step's policy and target; `already` is AWS's "it is so" error code."""
    policy_id = _policy_id(ctx, step.params["Name"], step.params["Type"])
    target_id = _target_id(ctx, step.params["Target"])
    try:
        getattr(ctx.client("organizations"), operation)(PolicyId=policy_id, TargetId=target_id)
    except ClientError as exc:
        if not _already(exc, already):
            raise
    return {"policy_id": policy_id, "target_id": target_id}


@executor(Action.ATTACH_POLICY)
def _attach_policy(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    return _attachment(ctx, step, "attach_policy", "DuplicatePolicyAttachmentException")


@executor(Action.DETACH_POLICY)
def _detach_policy(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    return _attachment(ctx, step, "detach_policy", "PolicyNotAttachedException")


@executor(Action.REGISTER_DELEGATED_ADMINISTRATOR)
def _register_delegated_administrator(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    p = step.params
    try:
        ctx.client("organizations").register_delegated_administrator(AccountId=p["AccountId"], ServicePrincipal=p["ServicePrincipal"])
    except ClientError as exc:
        if not _already(exc, "AccountAlreadyRegisteredException"):
            raise
    return {"account_id": p["AccountId"], "service_principal": p["ServicePrincipal"]}
