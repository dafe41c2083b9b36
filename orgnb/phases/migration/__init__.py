"""Phase 05: bring existing accounts into the organization, each along the path its kind needs.

- A standalone account is invited, and accepts from inside when its profile is given (else the owner must).
- A member of another organization moves by direct transfer (AWS, since late 2025): invited, it stops being a
  delegated administrator there and accepts from inside, departing the old organization and joining this one in
  one step: never standalone, keeping its payment method, contacts and support plan. `transfer: leave` keeps the
  older path (leave first, irreversible, then accept) for where AWS refuses a direct transfer.
- The management account of another organization moves last: once every member of its organization has gone,
  its organization is deleted (irreversible), then it accepts the invitation sent before.
- Policies naming an old organization list both ids before anything moves and the new one alone once the old
  organization is gone; a moved account's `OrganizationAccountAccessRole` is made to trust the new management
  account alone.

Each account's steps form a group: when AWS refuses one (an SCP, a waiting period), that account stops there with
the remedy, the others carry on, and a re-run picks it up. Refusals a person must clear end the phase "pending"
(exit 4). So does an irreversible step (leave, delete organization) of an account missing from
`confirm_irreversible`: it stays in the plan marked "needs confirmation" and is not applied, nor are the steps
waiting for it. Invitations are only sent where no pending one exists.

Modules: state (what is read), read, plan, executors (registered on import), views (the notebook's tables).
"""

from orgnb.phases.migration import executors  # noqa: F401 - registers the phase's executors
from orgnb.phases.migration.plan import plan_migration
from orgnb.phases.migration.read import read_migration
from orgnb.phases.migration.state import PHASE, MigrationInventory, MigrationState, MovingAccount
from orgnb.phases.migration.views import invitations_frame, policy_diffs, preflight_checklist, standalone_windows, transfer_impact_frame
from orgnb.phases.phase import Phase

DEFINITION = Phase(5, PHASE, "invite standalone accounts, migrate members and old management accounts", plan_migration, read_migration)

__all__ = [
    "DEFINITION",
    "PHASE",
    "MigrationInventory",
    "MigrationState",
    "MovingAccount",
    "invitations_frame",
    "plan_migration",
    "policy_diffs",
    "preflight_checklist",
    "read_migration",
    "standalone_windows",
    "transfer_impact_frame",
]
