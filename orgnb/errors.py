"""The exceptions orgnb raises, and the exit code each one maps to.

OrgnbError
├── ParameterError          exit 2: the parameters file or a notebook parameter is invalid (no AWS call made)
├── PreflightRefused        exit 3: a read-only pre-flight check refused the run (no write made)
│   ├── AccountQuotaExceeded    the plan would take the organization past its account quota
│   └── InvitationLimitReached  the plan sends more invitations than the day's limit leaves
├── OperatorActionPending   exit 4: the phase waits for a person (OTP, payment method, invitation)
├── ApplyRefused            exit 3: apply was asked for a plan that may not be applied
├── LeaseHeld               exit 3: another run holds the organization's apply lease
├── StepFailed              exit 1: an AWS write failed; the journal says which step
├── ApplyIncomplete         exit 1: the plan was applied, yet re-reading AWS still finds steps to take
├── AuditFailed             exit 1: a strict audit found at least one FAIL
├── OuNotFound              exit 1: an OU path names no OU (yet) (orgnb.aws.placement)
├── SandboxError            exit 1: the rehearsal sandbox could not start or answer
├── RecordError             exit 1: a record cannot be sealed (already sealed, incomplete notebook, no run folder)
└── LabError                exit 1: `orgnb lab` could not prepare its estate or start JupyterLab
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes shared by the CLI and CI (the README's exit codes)."""

    OK = 0
    FAILED = 1
    INVALID_PARAMETERS = 2
    REFUSED = 3
    PENDING = 4


class OrgnbError(Exception):
    """Base class of every error orgnb raises on purpose."""

    exit_code: ExitCode = ExitCode.FAILED


@dataclass(frozen=True)
class ParameterProblem:
    """One invalid parameter: where it is, what is wrong, and how to fix it."""

    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message} (fix: {self.fix})"


class ParameterError(OrgnbError):
    """Static validation failed; each problem names the field and the fix."""

    exit_code = ExitCode.INVALID_PARAMETERS

    def __init__(self, problems: list[ParameterProblem], source: str = "parameters") -> None:
        self.problems = problems
        self.source = source
        lines = [f"{len(problems)} invalid parameter(s) in {source}:"]
        lines += [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


class PreflightRefused(OrgnbError):
    """A pre-flight guard refused the run before any write."""

    exit_code = ExitCode.REFUSED


class AccountQuotaExceeded(PreflightRefused):
    """The plan's accounts would take the organization past its account quota (Service Quotas L-E619E033)."""


class InvitationLimitReached(PreflightRefused):
    """The plan sends more invitations than remain of the organization's daily invitation limit."""


class ApplyRefused(OrgnbError):
    """Apply was requested for a plan that may not be applied as it stands."""

    exit_code = ExitCode.REFUSED


class OperatorActionPending(OrgnbError):
    """The phase stopped because a person must act before it can go on."""

    exit_code = ExitCode.PENDING


class StepFailed(OrgnbError):
    """An AWS write of the plan failed; the journal holds the step and the error."""

    exit_code = ExitCode.FAILED

    def __init__(self, step_id: str, error: str) -> None:
        self.step_id = step_id
        self.error = error
        super().__init__(f"step {step_id} failed: {error}")


class ApplyIncomplete(OrgnbError):
    """The plan was applied, yet re-reading AWS still finds steps to take."""

    exit_code = ExitCode.FAILED


class AuditFailed(OrgnbError):
    """A strict audit found at least one FAIL."""

    exit_code = ExitCode.FAILED


class SandboxError(OrgnbError):
    """The rehearsal sandbox could not start, or did not answer as expected."""


class LeaseHeld(OrgnbError):
    """Another run is applying to the organization (its lease on the root is live)."""

    exit_code = ExitCode.REFUSED


class RecordError(OrgnbError):
    """A record cannot be sealed: already sealed, its notebook incomplete, or its run folder not found."""


class LabError(OrgnbError):
    """`orgnb lab` could not bring the sandbox to the asked phase, or JupyterLab did not start."""


# From least to most serious: what `orgnb rehearse` reports when phases end differently.
_SEVERITY = (ExitCode.OK, ExitCode.PENDING, ExitCode.INVALID_PARAMETERS, ExitCode.REFUSED, ExitCode.FAILED)


def worst_exit_code(codes: list[ExitCode]) -> ExitCode:
    """The most serious of `codes` (OK when there are none)."""
    return max(codes, key=_SEVERITY.index, default=ExitCode.OK)


ERRORS_BY_NAME: dict[str, type[OrgnbError]] = {
    cls.__name__: cls
    for cls in (
        ParameterError,
        PreflightRefused,
        AccountQuotaExceeded,
        InvitationLimitReached,
        ApplyRefused,
        LeaseHeld,
        OperatorActionPending,
        StepFailed,
        ApplyIncomplete,
        AuditFailed,
        SandboxError,
    )
}


def exit_code_for(error_name: str) -> ExitCode:
    """The exit code for an exception raised in a notebook cell, by its class name."""
    cls = ERRORS_BY_NAME.get(error_name)
    return cls.exit_code if cls else ExitCode.FAILED
