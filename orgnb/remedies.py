"""What to do when AWS refuses or fails something the runbook cannot clear itself: every remedy table of the kit.

- `REFUSAL_REMEDIES`, by operation and error code: `error_text` (orgnb.engine.apply) appends the remedy to the error it
  journals and prints, so a failed step, a failed audit and the record all say what to do next (`remedy_for`).
- `CREATE_ACCOUNT_REMEDIES`, by CreateAccount FailureReason (botocore's CreateAccountStatus model): a request AWS
  reports as FAILED is journaled with its remedy (`create_account_remedy`).
- `OPERATOR_REMEDIES`, by the reason AWS gives when it refuses LeaveOrganization or AcceptHandshake for something
  a person clears (a payment method, an SCP, a waiting period): phase 05 then waits (exit 4) rather than fails.
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

LEAVE_REMEDY = (
    "move the account, through the old organization's change control, to an OU where no SCP denies "
    "organizations:LeaveOrganization (a transition OU), or detach the denying policy; then run this phase again"
)

REFUSAL_REMEDIES: dict[tuple[str, str], str] = {
    ("AssumeRoot", "AccessDenied"): _ASSUME_ROOT,
    ("AssumeRoot", "AccessDeniedException"): _ASSUME_ROOT,
    ("AcceptHandshake", "InvalidHandshakeTransitionException"): _HANDSHAKE_GONE,
    ("AcceptHandshake", "HandshakeNotFoundException"): _HANDSHAKE_GONE,
    ("AcceptHandshake", "HandshakeAlreadyInStateException"): "the invitation was already accepted: run the phase again to verify",
}


def remedy_for(exc: ClientError) -> str | None:
    """The remedy for an AWS refusal, when one is known."""
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return REFUSAL_REMEDIES.get((str(exc.operation_name), code))


# Every FailureReason botocore's model knows, with what the operator should do (a test keeps the list complete).
CREATE_ACCOUNT_REMEDIES: dict[str, str] = {
    "EMAIL_ALREADY_EXISTS": "another AWS account already uses this root email: choose another slug or email in the parameters, "
    "or bring that account in through invites/migrations instead of creating it",
    "ACCOUNT_LIMIT_EXCEEDED": "the organization is at its account quota: ask for a higher 'Default maximum number of accounts' "
    "(Service Quotas, AWS Organizations, us-east-1) or close unused accounts, then run the phase again",
    "CONCURRENT_ACCOUNT_MODIFICATION": "a request with the same details was already running: run the phase again once it has finished "
    "(a request still in progress is adopted, not repeated)",
    "INVALID_EMAIL": "AWS rejected the root email: check it against the CreateAccount email rules, fix the parameters, run again",
    "INVALID_ADDRESS": "AWS rejected the management account's address: correct it in the console (Account, Contact information), run again",
    "INTERNAL_FAILURE": "AWS failed on its side: run the phase again later; if it fails again, open a support case with the request id",
    "GOVCLOUD_ACCOUNT_ALREADY_EXISTS": "a GovCloud account is already linked to this request's details: resolve it with AWS Support",
    "MISSING_BUSINESS_VALIDATION": "AWS must validate the management account's business details first: complete the validation "
    "in the console (or with AWS Support), then run again",
    "FAILED_BUSINESS_VALIDATION": "AWS could not validate the management account's business details: contact AWS Support, then run again",
    "PENDING_BUSINESS_VALIDATION": "AWS is still validating the management account's business details: wait for it, then run again",
    "INVALID_IDENTITY_FOR_BUSINESS_VALIDATION": "the identity documents for business validation were not accepted: update them "
    "in the console, then run again",
    "UNKNOWN_BUSINESS_VALIDATION": "business validation failed for an unknown reason: contact AWS Support, then run again",
    "MISSING_PAYMENT_INSTRUMENT": "the management account has no valid payment method: add one in the Billing console, run again",
    "INVALID_PAYMENT_INSTRUMENT": "the management account's payment method was declined: update it in the Billing console, run again",
    "UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED": "tags cannot be set on this request: remove the account's tags from "
    "the parameters (add them after creation), run again",
}


def create_account_remedy(reason: str) -> str:
    """What to do about a CreateAccount FailureReason."""
    return CREATE_ACCOUNT_REMEDIES.get(
        reason, "look the reason up in the CreateAccountStatus documentation, fix the cause, then run the phase again"
    )


# Refusals of LeaveOrganization and AcceptHandshake that a person clears; the phase then waits (exit 4) rather than fails.
OPERATOR_REMEDIES: dict[str, str] = {
    "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED": "add a payment method to the account (Billing console, signed in to the account), "
    "then run this phase again",
    "INVALID_PAYMENT_INSTRUMENT": "replace the account's payment method (Billing console), then run this phase again",
    "ACCOUNT_CANNOT_LEAVE_WITHOUT_EULA": "accept the customer agreement and choose a support plan in the account, then run again",
    "ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION": "verify the account's phone number in the console, then run this phase again",
    "WAIT_PERIOD_ACTIVE": "a created account can change organizations only some days after its creation: run this phase again later",
    "ORGANIZATION_MEMBERSHIP_CHANGE_RATE_LIMIT_EXCEEDED": "the account changed organizations too recently: run this phase again later",
    "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG": "it is still a delegated administrator of its organization: have that "
    "organization's management account deregister it (Organizations console, Services), then run this phase again",
    "AccessDenied": f"an SCP of its organization (or the caller's own policy) refuses it: {LEAVE_REMEDY}",
}
