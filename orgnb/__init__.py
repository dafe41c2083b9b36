"""orgnb: plan-first Jupyter runbooks from "some AWS accounts" to a clean multi-account AWS Organization.

Notebooks import from `orgnb` only; `__all__` is the public API (a test keeps it importable and complete).
"""

import orgnb._startup  # noqa: F401 - first: keeps a slow optional module out of every process (see there)
from orgnb.apply import ApplyResult, apply_plan
from orgnb.audit import AuditInventory, Findings, collect_audit, conclude_audit, run_checks
from orgnb.capacity import read_account_quota
from orgnb.display import OuTree, account_browser
from orgnb.errors import (
    AccountQuotaExceeded,
    ApplyRefused,
    AuditFailed,
    ExitCode,
    InvitationLimitReached,
    OperatorActionPending,
    OrgnbError,
    ParameterError,
    ParameterProblem,
    PreflightRefused,
    SandboxError,
    StepFailed,
)
from orgnb.iac import write_import_stubs
from orgnb.inventory import Inventory, collect_inventory
from orgnb.journal import Journal
from orgnb.parameters import Parameters, load_parameters
from orgnb.phases import PHASES, phase_info
from orgnb.phases.account_creation import plan_account_creation, planned_accounts
from orgnb.phases.member_initialization import final_inventory, organization_summary, plan_member_initialization, read_members
from orgnb.phases.migration import (
    invitations_frame,
    plan_migration,
    policy_diffs,
    preflight_checklist,
    read_migration,
    standalone_windows,
    transfer_impact_frame,
)
from orgnb.phases.organization_init import plan_organization_init
from orgnb.phases.root_centralization import plan_root_centralization, preconditions, read_root_access
from orgnb.plan import Action, Plan, Step
from orgnb.runbook import PhaseRun, start_phase
from orgnb.session import AwsContext, CallCounter, make_context

__version__ = "0.1.0"

__all__ = [
    "PHASES",
    "AccountQuotaExceeded",
    "Action",
    "ApplyRefused",
    "ApplyResult",
    "AuditFailed",
    "AuditInventory",
    "AwsContext",
    "CallCounter",
    "ExitCode",
    "Findings",
    "Inventory",
    "InvitationLimitReached",
    "Journal",
    "OperatorActionPending",
    "OrgnbError",
    "OuTree",
    "ParameterError",
    "ParameterProblem",
    "Parameters",
    "PhaseRun",
    "Plan",
    "PreflightRefused",
    "SandboxError",
    "Step",
    "StepFailed",
    "account_browser",
    "apply_plan",
    "collect_audit",
    "collect_inventory",
    "conclude_audit",
    "load_parameters",
    "make_context",
    "phase_info",
    "final_inventory",
    "invitations_frame",
    "organization_summary",
    "plan_account_creation",
    "plan_member_initialization",
    "plan_migration",
    "plan_organization_init",
    "plan_root_centralization",
    "planned_accounts",
    "policy_diffs",
    "preconditions",
    "preflight_checklist",
    "read_account_quota",
    "read_members",
    "read_migration",
    "read_root_access",
    "standalone_windows",
    "transfer_impact_frame",
    "run_checks",
    "start_phase",
    "write_import_stubs",
]
