"""The AWS Support API as AWS answers it by the account's support plan: Basic (every account, by default) has no API.

Spec: botocore's `support` model. Every operation's documentation: "You must have a Business, Enterprise On-Ramp,
or Enterprise Support plan to use the AWS Support API", and "If you call the AWS Support API from an account that
doesn't have a Business, Enterprise On-Ramp, or Enterprise Support plan, the SubscriptionRequiredException error
message appears." The model declares no shape for that error, so its message is the one AWS sends: "AWS Premium
Support Subscription is required to use this service." (HTTP 400). Tools read a plan this way (org-formation calls
DescribeSeverityLevels), so on Basic and Developer plans every Support operation answers it.
Setting (registered with state): `support_plans`, account id -> plan (basic, developer, business,
enterprise_on_ramp, enterprise). On a plan with the API, DescribeSeverityLevels answers the severities the plan may
choose ("Choosing a severity", AWS Support User Guide: Business up to urgent, "Production system down"; Enterprise
On-Ramp and Enterprise add critical, "Business-critical system down"), named as SeverityLevel's documentation says the
API names them (code `low`, name `Low`...); its other operations go to moto, and what moto lacks answers
wire.unknown_operation.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from orgnb.sandbox import state
from orgnb.sandbox.faults import aws_error

SERVICE = "support"
PLANS = ("basic", "developer", "business", "enterprise_on_ramp", "enterprise")
API_PLANS = frozenset({"business", "enterprise_on_ramp", "enterprise"})
SUBSCRIPTION_REQUIRED = "SubscriptionRequiredException"
SUBSCRIPTION_MESSAGE = "AWS Premium Support Subscription is required to use this service."
SEVERITIES = (("low", "Low"), ("normal", "Normal"), ("high", "High"), ("urgent", "Urgent"), ("critical", "Critical"))
_LEVELS = {"business": 4, "enterprise_on_ramp": 5, "enterprise": 5}  # how many of SEVERITIES each plan may choose


def _plans(value: Any) -> dict[str, str]:
    """The admin route's `support_plans`: account ids to plans named in PLANS."""
    plans = {str(account): str(plan) for account, plan in dict(value).items()}
    unknown = sorted(set(plans.values()) - set(PLANS))
    if unknown:
        raise ValueError(f"support_plans: unknown plan {', '.join(unknown)}; plans are {', '.join(PLANS)}")
    return plans


SETTINGS = state.settings({"plans": {}}, support_plans=state.Field("plans", _plans))


def plan_of(account_id: str) -> str:
    """The account's support plan (basic unless a setting or scenario says otherwise)."""
    return str(SETTINGS["plans"].get(account_id, "basic"))


def severity_levels(plan: str) -> list[dict[str, str]]:
    """DescribeSeverityLevels' severityLevels for a plan with the API."""
    return [{"code": code, "name": name} for code, name in SEVERITIES[: _LEVELS[plan]]]


def reply(service: str, account_id: str, operation: str) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """The sandbox's answer to a Support API call (SubscriptionRequiredException without a plan that has the API,
    DescribeSeverityLevels with one), or None to let moto answer."""
    if service != SERVICE:
        return None
    plan = plan_of(account_id)
    if plan not in API_PLANS:
        return aws_error("json", "400 Bad Request", SUBSCRIPTION_REQUIRED, SUBSCRIPTION_MESSAGE, str(uuid.uuid4()))
    if operation == "DescribeSeverityLevels":
        body = json.dumps({"severityLevels": severity_levels(plan)}).encode()
        return "200 OK", [("Content-Type", "application/x-amz-json-1.1")], body
    return None
