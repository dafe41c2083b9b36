"""Phase 02: create the Organization with all features and enable trusted access for Account Management."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orgnb.apply import executor
from orgnb.inventory import Inventory
from orgnb.parameters import Parameters
from orgnb.plan import Action, Plan, Step
from orgnb.session import AwsContext

PHASE = "organization-init"
# Later phases manage member accounts' names, contacts and root emails through Account Management.
TRUSTED_SERVICES = ("account.amazonaws.com",)


def plan_organization_init(params: Parameters, inventory: Inventory) -> Plan:
    """The steps that bring the management account to an all-features Organization with trusted access."""
    mgmt = params.organization.management_account_id
    org = inventory.organization
    steps: list[Step] = []
    notes: list[str] = []
    if org is None:
        steps.append(
            Step(
                "create-organization", Action.CREATE_ORGANIZATION, mgmt, "create the Organization with all features", {"FeatureSet": "ALL"}
            )
        )
    elif org.feature_set != "ALL":
        steps.append(Step("enable-all-features", Action.ENABLE_ALL_FEATURES, org.id, "start enabling all features (members must approve)"))
        notes.append("trusted access is planned once all features are enabled: re-run this phase after the handshake completes")
        return Plan(PHASE, tuple(steps), tuple(notes))
    for principal in TRUSTED_SERVICES:
        if principal not in inventory.trusted_services:
            steps.append(
                Step(
                    f"trusted-access:{principal}",
                    Action.ENABLE_SERVICE_ACCESS,
                    principal,
                    f"enable trusted access for {principal}",
                    {"ServicePrincipal": principal},
                )
            )
    return Plan(PHASE, tuple(steps), tuple(notes))


@executor(Action.CREATE_ORGANIZATION)
def _create_organization(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    org = ctx.client("organizations").create_organization(FeatureSet=step.params["FeatureSet"])["Organization"]
    return {"organization_id": org["Id"], "feature_set": org["FeatureSet"]}


@executor(Action.ENABLE_ALL_FEATURES)
def _enable_all_features(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    handshake = ctx.client("organizations").enable_all_features()["Handshake"]
    return {"handshake_id": handshake["Id"], "state": handshake["State"]}


@executor(Action.ENABLE_SERVICE_ACCESS)
def _enable_service_access(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    ctx.client("organizations").enable_aws_service_access(ServicePrincipal=step.params["ServicePrincipal"])
    return {"service_principal": step.params["ServicePrincipal"]}
