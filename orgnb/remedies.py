"""What to do about an AWS refusal the runbook cannot clear itself, by operation and error code.

`error_text` (orgnb.apply) appends the remedy to the error it journals and prints, so a failed step, a failed
audit and the record all say what to do next. CreateAccount's asynchronous failures have their own table
(orgnb.creation.REMEDIES, one per FailureReason).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

_ASSUME_ROOT = (
    "AWS refused the root session. Check, in order: the member is an ACTIVE member of this organization (not the "
    "management account); RootCredentialsManagement (for IAM tasks) or RootSessions (for S3/SQS) is enabled (phase 03 "
    "enables them); the caller's policy allows sts:AssumeRoot on the member (`orgnb policy root-centralization`); no "
    "SCP or RCP denies sts:AssumeRoot. Then run the phase again: nothing was changed in the member"
)
_HANDSHAKE_GONE = (
    "the invitation was declined, cancelled or has expired (15 days): run phase 05 again from the management "
    "account; it sends a new invitation to an account still outside"
)

REMEDIES: dict[tuple[str, str], str] = {
    ("AssumeRoot", "AccessDenied"): _ASSUME_ROOT,
    ("AssumeRoot", "AccessDeniedException"): _ASSUME_ROOT,
    ("AcceptHandshake", "InvalidHandshakeTransitionException"): _HANDSHAKE_GONE,
    ("AcceptHandshake", "HandshakeNotFoundException"): _HANDSHAKE_GONE,
    ("AcceptHandshake", "HandshakeAlreadyInStateException"): "the invitation was already accepted: run the phase again to verify",
}


def remedy_for(exc: ClientError) -> str | None:
    """The remedy for an AWS refusal, when one is known."""
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return REMEDIES.get((str(exc.operation_name), code))
