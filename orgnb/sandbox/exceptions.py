"""AWS errors the sandbox raises, each fixing AWS's error code (and reason where the model has one)."""

from __future__ import annotations

from moto.core.exceptions import ServiceException


class AccountAccessDenied(ServiceException):
    """account: AccessDeniedException (HTTP 403)."""

    code = "AccessDeniedException"

    def __init__(self, caller_arn: str, operation: str, detail: str = "") -> None:
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"User: {caller_arn} is not authorized to perform: account:{operation}{suffix}")


class AccountResourceNotFound(ServiceException):
    """account: ResourceNotFoundException (HTTP 404)."""

    code = "ResourceNotFoundException"


class AccountConflict(ServiceException):
    """account: ConflictException (HTTP 409)."""

    code = "ConflictException"


class AccountValidation(ServiceException):
    """account: ValidationException (HTTP 400) with `reason` and the failing fields."""

    code = "ValidationException"

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("Invalid input: " + "; ".join(f"{name}: {msg}" for name, msg in problems))
        self.reason = "fieldValidationFailed"
        self.fieldList = [{"name": name, "message": msg} for name, msg in problems]


class OrgError(ServiceException):
    """organizations: an error without a Reason member."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)


class OrgAccessDenied(OrgError):
    code = "AccessDeniedException"
    message = "You don't have permissions to access this resource."


class OrgNotInUse(OrgError):
    code = "AWSOrganizationsNotInUseException"
    message = "Your account is not a member of an organization."


class HandshakeNotFound(OrgError):
    code = "HandshakeNotFoundException"
    message = "We can't find a handshake with the HandshakeId that you specified."


class HandshakeAlreadyInState(OrgError):
    code = "HandshakeAlreadyInStateException"
    message = "The specified handshake is already in the requested state."


class InvalidHandshakeTransition(OrgError):
    code = "InvalidHandshakeTransitionException"
    message = "You can't perform the operation on the handshake in its current state."


class DuplicateHandshake(OrgError):
    code = "DuplicateHandshakeException"
    message = "A handshake with the same action and target already exists."


class MasterCannotLeave(OrgError):
    code = "MasterCannotLeaveOrganizationException"
    message = "You can't remove a management account from an organization. You must first delete the organization."


class AccountNotFound(OrgError):
    code = "AccountNotFoundException"
    message = "We can't find an AWS account with the AccountId that you specified."


class OrganizationNotEmpty(OrgError):
    code = "OrganizationNotEmptyException"
    message = "To delete an organization, you must first remove all accounts except the management account."


class AccountAlreadyClosed(OrgError):
    code = "AccountAlreadyClosedException"
    message = "You attempted to close an account that is already closed."


class OrgConflict(OrgError):
    code = "ConflictException"
    message = "The request failed because it conflicts with the current state of the specified resource."


class OrgConcurrentModification(OrgError):
    code = "ConcurrentModificationException"
    message = "The target of the operation is currently being modified by a different request. Try again later."


class SourceParentNotFound(OrgError):
    code = "SourceParentNotFoundException"
    message = "We can't find a source root or OU with the ParentId that you specified."


class DestinationParentNotFound(OrgError):
    code = "DestinationParentNotFoundException"
    message = "We can't find the destination container (a root or OU) with the ParentId that you specified."


class DuplicateAccount(OrgError):
    code = "DuplicateAccountException"
    message = "That account is already present in the specified destination."


class PolicyTypeNotAvailable(OrgError):
    code = "PolicyTypeNotAvailableForOrganizationException"
    message = "You can't use the specified policy type with the feature set currently enabled for this organization."


class PolicyTypeNotEnabled(OrgError):
    code = "PolicyTypeNotEnabledException"
    message = "This operation can be performed only for enabled policy types."


class DuplicatePolicyAttachment(OrgError):
    code = "DuplicatePolicyAttachmentException"
    message = "The selected policy is already attached to the specified target."


class PolicyNotAttached(OrgError):
    code = "PolicyNotAttachedException"
    message = "The policy isn't attached to the specified target in the specified root."


class MalformedPolicyDocument(OrgError):
    code = "MalformedPolicyDocumentException"
    message = "The provided policy document doesn't meet the requirements of the specified policy type."


class OrgReasonError(ServiceException):
    """organizations: an error whose model shape has a Reason member."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or f"The request failed: {reason}.")
        self.Reason = reason


class HandshakeConstraintViolation(OrgReasonError):
    code = "HandshakeConstraintViolationException"


class OrgInvalidInput(OrgReasonError):
    code = "InvalidInputException"


class OrgConstraintViolation(OrgReasonError):
    code = "ConstraintViolationException"


class QueryError(ServiceException):
    """iam / sts: an error identified by its code alone."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


class PolicyNotEvaluable(OrgInvalidInput):
    """organizations: InvalidInputException for an SCP the sandbox cannot evaluate (see scp.check_evaluable)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            "INVALID_RESOURCE_POLICY_JSON",
            f"The orgnb sandbox cannot evaluate this service control policy: it uses {'; '.join(problems)}. "
            "AWS would accept it; the sandbox refuses it rather than decide differently from AWS.",
        )
