"""The sandbox's fidelity page (orgnb/sandbox/FIDELITY.md) lists every AWS operation the kit calls."""

from __future__ import annotations

import re
from pathlib import Path

from orgnb.aws import capacity
from orgnb.commands.policy import phase_operations
from orgnb.sandbox import limits
from tests.test_sandbox_contract import EMULATED

PAGE = Path(__file__).resolve().parent.parent / "orgnb" / "sandbox" / "FIDELITY.md"


def documented_operations() -> set[str]:
    """`service:Operation` for every operation named in the page's operations table."""
    section = PAGE.read_text(encoding="utf-8").split("## Operations the kit calls", 1)[1].split("\n## ", 1)[0]
    found: set[str] = set()
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith("| operation") or line.startswith("|---"):
            continue
        service = ""
        for name in line.split("|")[1].split(","):
            name = name.strip()
            if ":" in name:
                service, name = name.split(":", 1)
            if re.fullmatch(r"[A-Z][A-Za-z]+", name):
                found.add(f"{service}:{name}")
    return found


def test_the_page_names_every_operation_the_phases_call_and_the_sandbox_emulates() -> None:
    called = {op for ops in phase_operations().values() for op in ops}
    emulated = {f"{service}:{op}" for service, ops in EMULATED.items() for op in ops}
    missing = sorted((called | emulated) - documented_operations())
    assert missing == [], f"add these to {PAGE.name}: {missing}"


def test_the_reader_expands_shared_service_prefixes() -> None:
    documented = documented_operations()
    assert {"organizations:DeclineHandshake", "organizations:CancelHandshake", "lambda:ListFunctions"} <= documented
    assert not any(op.startswith(":") for op in documented)


def test_the_sandbox_states_awss_limits_on_its_own_and_agrees_with_the_kit() -> None:
    """Each side states AWS's figures itself (the sandbox never imports them from the kit it rehearses); they agree."""
    for name in ("ACCOUNTS_QUOTA_CODE", "ACCOUNTS_QUOTA_NAME", "DEFAULT_ACCOUNT_QUOTA", "DAILY_INVITATIONS", "INVITATION_WINDOW"):
        assert getattr(limits, name) == getattr(capacity, name), name
    assert limits.CREATE_ACCOUNT_IN_FLIGHT == capacity.CREATE_ACCOUNT_IN_FLIGHT
    sandbox_code = "\n".join(p.read_text(encoding="utf-8") for p in Path(limits.__file__).parent.glob("*.py"))
    assert not re.search(r"^\s*(from orgnb(\.capacity)? import|import orgnb\.capacity)", sandbox_code, re.M)
