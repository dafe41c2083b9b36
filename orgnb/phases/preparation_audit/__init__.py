"""The preparation audit (phase 01): collect once, judge with small checks, report a findings table."""

from typing import Any

from orgnb.errors import AuditFailed
from orgnb.phases.phase import Phase
from orgnb.phases.preparation_audit.checks import run_checks
from orgnb.phases.preparation_audit.collect import AuditInventory, collect_audit
from orgnb.phases.preparation_audit.findings import Finding, Findings, Severity, Status

# read-only: no planner; the notebook collects (PhaseRun.collect) and judges
DEFINITION: Phase[Any] = Phase(
    1, "preparation-audit", "read-only audit of identity, accounts, emails, root credentials, billing, capacity", collector=collect_audit
)

__all__ = ["DEFINITION", "AuditInventory", "Finding", "Findings", "Severity", "Status", "collect_audit", "conclude_audit", "run_checks"]


def conclude_audit(run: Any, findings: Findings, strict: bool = False) -> dict[str, int]:
    """Record the audit's counts and findings in the run's record; with `strict`, any FAIL fails the run."""
    counts = findings.counts()
    path = run.record_dir / "findings.json"
    path.write_text(findings.frame().to_json(orient="records", indent=2), encoding="utf-8")
    failed = counts[Status.FAIL.value]
    run.finish("failed" if strict and failed else "audited", findings=counts)
    for status, n in counts.items():
        print(f"{status.lower()}: {n}")
    if strict and failed:
        raise AuditFailed(f"{failed} finding(s) FAIL: {', '.join(f.id for f in findings.failed)}")
    return counts
