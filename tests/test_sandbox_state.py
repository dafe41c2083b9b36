"""The sandbox's module-level state is registered once (orgnb/sandbox/state.py): a reset misses no store or setting."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

import orgnb.sandbox
from orgnb.sandbox import Sandbox, state

# Module-level dicts, lists and sets that are tables, not state: nothing changes them after import.
CONSTANT_TABLES = {
    "account_api._STATE_REQUIRED": "countries whose contact address needs StateOrRegion",
    "authz.IAM_PREFIXES": "signing names whose IAM action prefix differs",
    "authz.ACTION_NAMES": "operations whose IAM action has another name",
    "authz._RESOURCES": "how each service's request names its resource",
    "calllog.SIGNED_AS": "services whose signing name differs from their botocore name",
    "brownfield.OLD_SCP": "a policy document the brownfield seed attaches",
    "brownfield.DATA_SCP": "a policy document the brownfield seed attaches",
    "brownfield.BASELINE_TEMPLATE": "a template the brownfield seed deploys",
    "createinput._LOCAL_FORBIDDEN": "characters CreateAccount refuses in an email's local part",
    "faults._ERRORS": "each fault's error, by protocol",
    "faults._DENIED_CODES": "AccessDenied's code, by protocol",
    "iam_api.ROOT_STORE_HANDLERS": "IAM operations served for a root session, by handler name",
    "org_api._DELEGATED_READS": "operations a delegated administrator may call",
    "org_api._MANAGEMENT_ONLY": "operations only the management account may call",
    "policyrules.ATTACHMENTS_PER_TARGET": "how many policies of a type AWS lets a target have",
    "policyrules.DEFAULT_POLICIES": "AWS's default policy of each type",
    "org_api.NEW_HANDLERS": "Organizations operations moto lacks, by handler name",
    "orgrules.CHECKS": "each rule's check, by operation",
    "patches._ESSENTIAL_DATA": "a cache of moto's managed-policy documents, filled once: the same data in every reset",
    "rootaccess.TASK_POLICIES": "AssumeRoot's task policies",
    "scenarios._LEGACY_ADDRESS": "a scenario account's contact",
    "scenarios._FOUNDER": "a scenario account's contact",
    "scenarios._GADGET_DEVELOPER": "a scenario account's contact",
    "scenarios.SCENARIOS": "the scenarios, by name",
    "support._LEVELS": "how many severity levels each support plan may choose",
    "wire._UNKNOWN": "the unknown-operation error, by protocol",
}

# A value other than its default for every setting, as the admin route takes it.
CHANGES: dict[str, Any] = {
    "account_limits": {"111122223333": 30},
    "create_account_seconds": 7,
    "create_account_in_flight": 1,
    "create_account_in_flight_error": "ConcurrentModificationException",
    "create_account_daily_quota": 2,
    "create_account_fail_next": ["INTERNAL_FAILURE"],
    "close_account_seconds": 9,
    "close_account_quota": 1,
    "close_account_in_flight": 1,
    "assumed_root_principal_type": "AssumedRole",
    "assume_root_checks_target_scps": False,
    "created_account_wait_days": 0,
    "membership_change_interval_seconds": 0,
    "transfer_refuses_delegated_admin": False,
    "transfer_needs_leave_permission": True,
    "all_features_request_days": 90,
    "invite_during_all_features": True,
    "daily_invitations": 3,
    "single_administrator_services": ["account.amazonaws.com", "guardduty.amazonaws.com"],
    "support_plans": {"111122223333": "business"},
}


def sandbox_modules() -> list[ModuleType]:
    """Every module of orgnb.sandbox, imported."""
    return [importlib.import_module(m.name) for m in pkgutil.walk_packages(orgnb.sandbox.__path__, "orgnb.sandbox.")]


def assigned_names(module: ModuleType) -> set[str]:
    """The names a module's own top-level statements assign (not the ones it imports)."""
    names: set[str] = set()
    for node in ast.parse(inspect.getsource(module)).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


LATE_IMPORTS = """
import importlib, pkgutil, sys
import orgnb.sandbox
from orgnb.sandbox import state

def count():
    return len(state.STATE.registered()), len(state.configure({}))

before = count()
for module in pkgutil.walk_packages(orgnb.sandbox.__path__, "orgnb.sandbox."):
    if module.name not in sys.modules:
        importlib.import_module(module.name)
        if count() != before:
            print(module.name)
"""


def test_every_module_that_registers_state_is_imported_with_the_package() -> None:
    """A module imported after the package would register its settings late: until then the admin route would ignore
    them, as it ignores any name it does not know."""
    late = subprocess.run([sys.executable, "-c", LATE_IMPORTS], capture_output=True, text=True, check=True).stdout.split()
    assert late == [], f"import these in orgnb.sandbox (or a module it imports): {late}"


def test_every_module_level_dict_list_or_set_is_registered_or_a_constant_table() -> None:
    unregistered, tables = [], set()
    for module in sandbox_modules():
        for name in sorted(assigned_names(module)):
            value, key = getattr(module, name), f"{module.__name__.removeprefix('orgnb.sandbox.')}.{name}"
            if not isinstance(value, dict | list | set) or name.startswith("__"):
                continue
            if key in CONSTANT_TABLES:
                tables.add(key)
            elif not state.STATE.holds(value):
                unregistered.append(key)
    assert unregistered == [], f"register these with state.store or state.settings (or list a constant table here): {unregistered}"
    assert tables == set(CONSTANT_TABLES), f"no longer module-level tables: {sorted(set(CONSTANT_TABLES) - tables)}"


def fill(store: state.Clearable) -> None:
    """Put something in a store."""
    if isinstance(store, dict):
        store["orgnb-test"] = object()
    elif isinstance(store, list):
        store.append(object())
    else:
        assert isinstance(store, set), type(store)
        store.add(object())


def test_a_reset_empties_every_store_and_restores_every_setting() -> None:
    state.reset()
    defaults = state.configure({})
    assert set(CHANGES) == set(defaults), "give CHANGES a value for each setting"
    changed = state.configure(CHANGES)
    assert [name for name in CHANGES if changed[name] == defaults[name]] == []
    for store in state.STATE.stores():
        fill(store)
    state.reset()
    assert [store for store in state.STATE.stores() if store] == []
    assert state.configure({}) == defaults


def test_a_bad_value_changes_no_setting() -> None:
    state.reset()
    before = state.configure({})
    with pytest.raises(ValueError, match="create_account_in_flight_error must be one of"):
        state.configure({"create_account_seconds": 9, "create_account_in_flight_error": "Throttling"})
    assert state.configure({}) == before


def test_a_setting_is_registered_once_and_for_a_key_that_has_a_default() -> None:
    registry = state.Registry()
    registry.settings({"seconds": 1.0}, close_account_seconds=state.Field("seconds", float))
    with pytest.raises(state.RegistrationError, match="registered twice"):
        registry.settings({"seconds": 1.0}, close_account_seconds=state.Field("seconds", float))
    with pytest.raises(state.RegistrationError, match="no default"):
        registry.settings({}, quota=state.Field("quota", int))


def test_sandbox_reset_puts_every_setting_changed_over_the_admin_route_back(sandbox: Sandbox) -> None:
    defaults = sandbox.settings()
    changed = sandbox.settings(**CHANGES)
    assert [name for name in CHANGES if changed[name] == defaults[name]] == []
    sandbox.reset()
    assert sandbox.settings() == defaults
