"""Phase 07's plan: policy types on the root, the transition OU, each policy created or updated, each attachment
and detachment, FullAWSAccess where the parameters say, delegated administrators after trusted access.

Attachments are planned by target name (root, OU path, account id), so a step reads the same before and after the
OU it names exists. The kit manages the policies the parameters name and those it created (its `orgnb:managed` tag
or an `orgnb-` name), detaching one the parameters no longer name; another policy's attachments are left as they
are, FullAWSAccess included unless `detach_full_aws_access` names the target.
"""

from __future__ import annotations

from orgnb.engine.plan import Action, Plan, Step
from orgnb.errors import PreflightRefused
from orgnb.input.guardrails import ROOT_TARGET, PolicyKind
from orgnb.input.parameters import Parameters
from orgnb.phases.guardrails.attachments import allows_elsewhere, full_access_detachments
from orgnb.phases.guardrails.baseline import FULL_AWS_ACCESS, Wanted, canonical, uncovered_by_deny_leave, wanted_policies
from orgnb.phases.guardrails.blast import check_blast_radius
from orgnb.phases.guardrails.limits import check_limits
from orgnb.phases.guardrails.read import GuardrailsInventory

PHASE = "guardrails"


def _type_steps(wanted: list[Wanted], inventory: GuardrailsInventory) -> list[Step]:
    enabled = set(inventory.root.policy_types) if inventory.root else set()
    kinds = [k for k in PolicyKind if any(w.kind == k for w in wanted) and k.value not in enabled]
    return [
        Step(f"policy-type:{k.value}", Action.ENABLE_POLICY_TYPE, ROOT_TARGET, f"enable {k.value} on the root", {"PolicyType": k.value})
        for k in kinds
    ]


def _policy_steps(wanted: list[Wanted], inventory: GuardrailsInventory) -> list[Step]:
    steps = []
    for w in wanted:
        live = inventory.policy(w.name)
        if live is None:
            params = {"Name": w.name, "Type": w.kind.value, "Description": w.description[:512], "Content": w.content}
            steps.append(Step(f"policy:{w.name}", Action.CREATE_POLICY, w.name, f"create {w.name} ({w.origin}): {w.description}", params))
        elif canonical(live.document) != w.content:
            params = {"Name": w.name, "Type": w.kind.value, "Content": w.content}
            steps.append(Step(f"policy:{w.name}", Action.UPDATE_POLICY, w.name, f"update {w.name} to the content of {w.origin}", params))
    return steps


def _attachment_steps(params: Parameters, inventory: GuardrailsInventory, wanted: list[Wanted], notes: list[str]) -> list[Step]:
    steps = []
    transition = params.guardrails.baseline.transition_ou
    for w in wanted:
        live = inventory.policy(w.name)
        attached = {inventory.target_name(t) for t in live.targets} if live else set()
        for target in w.targets:
            if target not in attached:
                if inventory.target_id(target) is None and target != transition:
                    notes.append(f"{w.name}: target {target} does not exist yet (create it in phase 04): attached once it does")
                    continue
                params_ = {"Name": w.name, "Type": w.kind.value, "Target": target}
                steps.append(Step(f"attach:{w.name}:{target}", Action.ATTACH_POLICY, target, f"attach {w.name} to {target}", params_))
        for target in sorted(attached - set(w.targets)):
            params_ = {"Name": w.name, "Type": w.kind.value, "Target": target}
            steps.append(Step(f"detach:{w.name}:{target}", Action.DETACH_POLICY, target, f"detach {w.name} from {target}", params_))
    names = {w.name for w in wanted}
    for p in inventory.policies:
        if p.managed and p.name not in names:  # created by this phase, no longer in the parameters (or turned off)
            for target in sorted(inventory.target_name(t) for t in p.targets):
                params_ = {"Name": p.name, "Type": p.kind.value, "Target": target}
                what = f"detach {p.name}: the parameters no longer name it (the policy is kept)"
                steps.append(Step(f"detach:{p.name}:{target}", Action.DETACH_POLICY, target, what, params_))
    for target in params.guardrails.detach_full_aws_access:
        if target in full_access_detachments(params, inventory, wanted):
            params_ = {"Name": FULL_AWS_ACCESS, "Type": PolicyKind.SCP.value, "Target": target}
            steps.append(
                Step(f"detach:{FULL_AWS_ACCESS}:{target}", Action.DETACH_POLICY, target, f"detach {FULL_AWS_ACCESS} from {target}", params_)
            )
        elif not allows_elsewhere(wanted, target):
            notes.append(f"{FULL_AWS_ACCESS} stays on {target}: no other SCP the parameters attach there allows anything")
    return steps


def _delegation_steps(params: Parameters, inventory: GuardrailsInventory, notes: list[str]) -> list[Step]:
    steps = []
    members = {a.id for a in inventory.members() if a.state == "ACTIVE"}
    for principal, account in sorted(params.guardrails.delegated_administrators.items()):
        if (principal, account) in inventory.delegated:
            continue
        if account not in members:  # AWS: the management account cannot be one; an outsider is AccountNotFound
            notes.append(f"{account} is not an active member, so it cannot administer {principal} yet: registered once it is")
            continue
        if principal not in inventory.trusted_services:
            steps.append(
                Step(
                    f"trusted-access:{principal}",
                    Action.ENABLE_SERVICE_ACCESS,
                    principal,
                    f"trusted access for {principal}",
                    {"ServicePrincipal": principal},
                )
            )
        steps.append(
            Step(
                f"delegate:{principal}",
                Action.REGISTER_DELEGATED_ADMINISTRATOR,
                account,
                f"{account} administers {principal}",
                {"AccountId": account, "ServicePrincipal": principal},
            )
        )
    return steps


def live_attachments(inventory: GuardrailsInventory) -> dict[str, dict[str, PolicyKind]]:
    """Target name -> {policy name: type}, as the organization has them now."""
    live: dict[str, dict[str, PolicyKind]] = {}
    for p in inventory.policies:
        for target_id in p.targets:
            live.setdefault(inventory.target_name(target_id), {})[p.name] = p.kind
    return live


def _targets(inventory: GuardrailsInventory) -> list[str]:
    return ["root", *(o.path for o in inventory.ous), *(a.id for a in inventory.accounts)]


def plan_guardrails(params: Parameters, inventory: GuardrailsInventory) -> Plan:
    """Policy types, transition OU, policies, attachments, FullAWSAccess, delegated administrators; refused before any
    write when the planned SCPs would deny an operation of the kit's own (see preview)."""
    org = inventory.organization
    if org is None or org.feature_set != "ALL":
        raise PreflightRefused("policies need an Organization with all features: run phase 02 (organization-init) first")
    if params.guardrails.baseline.deny_root_user and not params.root_access.root_sessions:
        raise PreflightRefused(
            "deny-root-user leaves member root users no way in but AssumeRoot sessions, and root_access.root_sessions is off: "
            "turn root sessions on (phase 03), or set guardrails.baseline.deny_root_user: false"
        )
    wanted = wanted_policies(params, inventory)
    notes: list[str] = []
    steps = _type_steps(wanted, inventory)
    transition = params.guardrails.baseline.transition_ou
    if params.guardrails.baseline.deny_leave and transition not in inventory.ou_by_path():
        steps.append(
            Step(
                f"ou:{transition}",
                Action.CREATE_OU,
                transition,
                f"create OU {transition}: accounts moved here may leave",
                {"Path": transition},
            )
        )
    steps += _policy_steps(wanted, inventory)
    steps += _attachment_steps(params, inventory, wanted, notes)
    steps += _delegation_steps(params, inventory, notes)
    check_limits(wanted, steps, live_attachments(inventory), _targets(inventory), inventory.root.policy_types if inventory.root else ())
    notes += [
        f"{a} sits directly under the root, where deny-leave is not attached: move it into an OU"
        for a in uncovered_by_deny_leave(inventory)
    ]
    notes += check_blast_radius(params, inventory)
    return Plan(PHASE, tuple(steps), tuple(notes), ())
