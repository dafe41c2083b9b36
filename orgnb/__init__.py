"""orgnb: plan-first Jupyter runbooks from "some AWS accounts" to a clean multi-account AWS Organization.

Notebooks import from `orgnb` only. `__all__` is what they use, plus the errors a caller of the runbook catches
(`orgnb.errors`); a test keeps it sorted, importable and exactly that. Everything else is reached through its
module (`orgnb.phases.registry`, `orgnb.engine.plan`...).
"""

import orgnb._startup  # noqa: F401 - first: keeps a slow optional module out of every process (see there)
from orgnb.aws.iac import write_import_stubs
from orgnb.display import OuTree, account_browser
from orgnb.errors import (
    AccountQuotaExceeded,
    ApplyIncomplete,
    ApplyRefused,
    AuditFailed,
    ExitCode,
    InvitationLimitReached,
    OperatorActionPending,
    OrgnbError,
    ParameterError,
    PreflightRefused,
    StepFailed,
)
from orgnb.phases.account_creation import planned_accounts
from orgnb.phases.guardrails import blast_radius, effective_scps, guardrail_diffs, policies_frame, policy_tree, write_policy_stubs
from orgnb.phases.member_initialization import final_inventory, organization_summary
from orgnb.phases.migration import invitations_frame, policy_diffs, preflight_checklist, standalone_windows, transfer_impact_frame
from orgnb.phases.preparation_audit import conclude_audit, run_checks
from orgnb.phases.root_centralization import preconditions
from orgnb.runbook import start_phase

__version__ = "0.1.0"

__all__ = [
    "AccountQuotaExceeded",
    "ApplyIncomplete",
    "ApplyRefused",
    "AuditFailed",
    "ExitCode",
    "InvitationLimitReached",
    "OperatorActionPending",
    "OrgnbError",
    "OuTree",
    "ParameterError",
    "PreflightRefused",
    "StepFailed",
    "account_browser",
    "blast_radius",
    "conclude_audit",
    "effective_scps",
    "final_inventory",
    "guardrail_diffs",
    "invitations_frame",
    "organization_summary",
    "planned_accounts",
    "policies_frame",
    "policy_diffs",
    "policy_tree",
    "preconditions",
    "preflight_checklist",
    "run_checks",
    "standalone_windows",
    "start_phase",
    "transfer_impact_frame",
    "write_import_stubs",
    "write_policy_stubs",
]
