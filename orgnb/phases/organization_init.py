"""Phase 02: standardize the management account, create the Organization, enable trusted access.

Standardizing means the account name, contact information and alternate contacts the parameters give; each is a
step only when AWS holds something different. The root email can only be changed in the console (both inboxes are
needed), so a difference is reported as a note, not planned.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orgnb.aws.inventory import Inventory
from orgnb.aws.session import AwsContext
from orgnb.engine.apply import executor
from orgnb.engine.plan import Action, Plan, Step
from orgnb.input.parameters import Parameters
from orgnb.phases.phase import Phase

PHASE = "organization-init"
# Later phases manage member accounts' names, contacts and root emails through Account Management.
TRUSTED_SERVICES = ("account.amazonaws.com",)


def plan_standardization(params: Parameters, inventory: Inventory) -> list[Step]:
    """Steps that give the management account its planned name and contacts."""
    facts = inventory.caller_facts
    mgmt = params.organization.management_account_id
    steps: list[Step] = []
    name = params.organization.management_account_name
    if facts is None or facts.name != name:
        current = facts.name if facts else "unknown"
        steps.append(Step("account-name", Action.PUT_ACCOUNT_NAME, mgmt, f"rename {current!r} to {name!r}", {"AccountName": name}))
    primary = params.contacts.primary
    if primary is not None and (facts is None or facts.contact_information != primary.to_wire()):
        steps.append(
            Step(
                "contact-information",
                Action.PUT_CONTACT_INFORMATION,
                mgmt,
                "set the primary contact",
                {"ContactInformation": primary.to_wire()},
            )
        )
    for kind, contact in params.contacts.alternates().items():
        if facts is None or facts.alternate_contacts.get(kind) != contact.to_wire():
            params_ = {"AlternateContactType": kind, **contact.to_wire()}
            steps.append(
                Step(f"alternate-contact:{kind.lower()}", Action.PUT_ALTERNATE_CONTACT, mgmt, f"set the {kind.lower()} contact", params_)
            )
    return steps


def root_email_note(params: Parameters, inventory: Inventory) -> list[str]:
    """A note when the management account's root email is not the planned one."""
    org = inventory.organization
    planned = params.root_email.address(params.organization.management_slug)
    if org is None or org.management_account_email.lower() == planned.lower():
        return []
    return [
        f"the management account's root email is {org.management_account_email}, the plan says {planned}: change it in the "
        "console as the root user (AWS sends codes to both addresses, so both inboxes must be reachable)"
    ]


def plan_all_features(inventory: Inventory) -> list[Step]:
    """Start enabling all features, or finalize it once every invited member has approved."""
    org = inventory.organization
    assert org is not None, "planned only for an existing organization"
    request = inventory.all_features_request()
    if request is None:
        return [Step("enable-all-features", Action.ENABLE_ALL_FEATURES, org.id, "ask every invited member to approve all features")]
    if request.state == "OPEN":
        approve = next((h for h in inventory.handshakes if h.action == "APPROVE_ALL_FEATURES" and h.pending), request)
        return [
            Step(
                "finalize-all-features",
                Action.ACCEPT_HANDSHAKE,
                approve.id,
                "finalize all features (every member approved)",
                {"HandshakeId": approve.id},
            )
        ]
    return []


def all_features_wait(inventory: Inventory) -> str:
    """What the phase waits for while members approve all features."""
    request = inventory.all_features_request()
    if request is None:
        return "each invited member account must accept its ENABLE_ALL_FEATURES handshake (console or AcceptHandshake)"
    children = [h for h in inventory.handshakes if h.parent_id == request.id]
    declined = [h.target for h in children if h.state == "DECLINED"]
    if declined:
        return (
            f"all-features request {request.id}: {', '.join(declined)} declined; remove it from the organization, or cancel "
            f"the request (CancelHandshake {request.id}) and run this phase again to send a new one"
        )
    waiting = [h.target for h in children if h.pending]
    who = ", ".join(waiting) or "the management account"
    return f"all-features request {request.id}: waiting for {who} to accept (expires {request.expires_at})"


def plan_organization_init(params: Parameters, inventory: Inventory) -> Plan:
    """The steps that bring the management account to a standard, all-features Organization with trusted access."""
    mgmt = params.organization.management_account_id
    org = inventory.organization
    steps = plan_standardization(params, inventory)
    notes = root_email_note(params, inventory)
    if org is None:
        steps.append(
            Step(
                "create-organization", Action.CREATE_ORGANIZATION, mgmt, "create the Organization with all features", {"FeatureSet": "ALL"}
            )
        )
    elif org.feature_set != "ALL":
        all_features = plan_all_features(inventory)
        steps += all_features
        if not any(s.action == Action.ACCEPT_HANDSHAKE for s in all_features):
            notes.append("trusted access is planned once every member has approved all features: run this phase again then")
            return Plan(PHASE, tuple(steps), tuple(notes), (all_features_wait(inventory),))
    for principal in TRUSTED_SERVICES:
        if principal not in inventory.trusted_services:
            step_params = {"ServicePrincipal": principal}
            steps.append(
                Step(
                    f"trusted-access:{principal}",
                    Action.ENABLE_SERVICE_ACCESS,
                    principal,
                    f"enable trusted access for {principal}",
                    step_params,
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


@executor(Action.ACCEPT_HANDSHAKE)
def _accept_handshake(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    handshake = ctx.client("organizations").accept_handshake(HandshakeId=step.params["HandshakeId"])["Handshake"]
    return {"handshake_id": handshake["Id"], "state": handshake["State"]}


@executor(Action.ENABLE_SERVICE_ACCESS)
def _enable_service_access(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    ctx.client("organizations").enable_aws_service_access(ServicePrincipal=step.params["ServicePrincipal"])
    return {"service_principal": step.params["ServicePrincipal"]}


@executor(Action.PUT_ACCOUNT_NAME)
def _put_account_name(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    ctx.client("account").put_account_name(**step.params)  # AccountId too, for a member (phase 06)
    return {"account_name": step.params["AccountName"]}


@executor(Action.PUT_CONTACT_INFORMATION)
def _put_contact_information(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    ctx.client("account").put_contact_information(ContactInformation=dict(step.params["ContactInformation"]))
    return {"contact_information": "set"}


@executor(Action.PUT_ALTERNATE_CONTACT)
def _put_alternate_contact(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    ctx.client("account").put_alternate_contact(**step.params)
    return {"alternate_contact": step.params["AlternateContactType"]}


DEFINITION: Phase[Inventory] = Phase(2, PHASE, "create the Organization with all features, enable trusted access", plan_organization_init)
