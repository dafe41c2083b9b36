"""CloudFormation StackSets: moto accepts a stack set's AutoDeployment and drops it; AWS keeps it.

AWS answers it in DescribeStackSet (`StackSet.AutoDeployment`) and ListStackSets (`StackSetSummary.AutoDeployment`),
as botocore's CloudFormation model has them. CreateStackSet and UpdateStackSet here keep what the request says, so
both answers carry it (moto's serializer reads the stack set's `auto_deployment`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cloudformation.responses import CloudFormationResponse

_MEMBERS = ("Enabled", "RetainStacksOnAccountRemoval")


def _keeping_auto_deployment(original: Callable[[CloudFormationResponse], Any]) -> Callable[[CloudFormationResponse], Any]:
    def handler(self: CloudFormationResponse) -> Any:
        result = original(self)
        wanted = self._get_param("AutoDeployment")  # noqa: SLF001 - moto's request parsing
        if wanted:
            stack_set = self.cloudformation_backend.describe_stack_set(self._get_param("StackSetName"))  # noqa: SLF001
            kept = dict(getattr(stack_set, "auto_deployment", None) or {})
            kept.update({name: wanted[name] in (True, "true") for name in _MEMBERS if name in wanted})
            stack_set.auto_deployment = kept  # type: ignore[attr-defined]  # moto's StackSet keeps no AutoDeployment
        return result

    handler.__name__ = original.__name__
    return handler


def install() -> None:
    """Keep AutoDeployment on CreateStackSet and UpdateStackSet."""
    for name in ("create_stack_set", "update_stack_set"):
        setattr(CloudFormationResponse, name, _keeping_auto_deployment(getattr(CloudFormationResponse, name)))
