"""Phase 07: the organization's policy baseline (SCPs, RCPs, AI opt-out), custom policies and delegated
administrators, previewed against the kit's own operations before any write.

The shipped baseline (policies/*.json, each naming the AWS documentation its pattern comes from):
- deny-leave (on): LeaveOrganization denied below the root, in every branch but the transition OU, so moving an
  account there through change control is the way out;
- deny-root-user (on): member root users denied, except in AssumeRoot sessions (aws:AssumedRoot), so phase 03's
  central root tasks keep working;
- protect-member-role (on): OrganizationAccountAccessRole changed only by itself;
- allowed-regions (when `allowed_regions` is set), require-tls (an RCP) and ai-opt-out, opt-in.
Custom policies may be SCPs, RCPs, AI opt-out, tag or EC2 declarative policies (DECLARATIVE_POLICY_EC2, whose file is
checked for its `ec2_attributes` top level on loading); each type is enabled on the root before its first attachment.

Modules: baseline (what is wanted), read, attachments and plan, preview and blast (the blast radius), executors
(registered on import), views, iac (import stubs).
"""

from orgnb.phases.guardrails import executors  # noqa: F401 - registers the phase's executors
from orgnb.phases.guardrails.blast import blast_radius
from orgnb.phases.guardrails.iac import write_policy_stubs
from orgnb.phases.guardrails.plan import PHASE, plan_guardrails
from orgnb.phases.guardrails.read import GuardrailsInventory, read_guardrails
from orgnb.phases.guardrails.views import effective_scps, guardrail_diffs, policies_frame, policy_tree
from orgnb.phases.phase import Phase

DEFINITION = Phase(
    7,
    PHASE,
    "policy baseline (SCPs, RCPs), delegated administrators, previewed against the kit's own operations",
    plan_guardrails,
    read_guardrails,
)

__all__ = [
    "DEFINITION",
    "PHASE",
    "GuardrailsInventory",
    "blast_radius",
    "effective_scps",
    "plan_guardrails",
    "policies_frame",
    "guardrail_diffs",
    "policy_tree",
    "read_guardrails",
    "write_policy_stubs",
]
