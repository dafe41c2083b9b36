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


class AccountValidation(ServiceException):
    """account: ValidationException (HTTP 400) with `reason` and the failing fields."""

    code = "ValidationException"

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("Invalid input: " + "; ".join(f"{name}: {msg}" for name, msg in problems))
        self.reason = "fieldValidationFailed"
        self.fieldList = [{"name": name, "message": msg} for name, msg in problems]


class OrgConstraintViolation(ServiceException):
    """organizations: ConstraintViolationException with its Reason."""

    code = "ConstraintViolationException"

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.Reason = reason
