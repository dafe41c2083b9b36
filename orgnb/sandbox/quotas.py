"""Organizations' account quota, served through Service Quotas (CreateAccount enforces it: see creation).

The quota (code L-E619E033, "Default maximum number of accounts", AWS's default 10) counts every account in the
organization, the management account included. moto's Service Quotas knows only VPC quotas and its CreateAccount
has no limit.
"""

from __future__ import annotations

from typing import Any

from moto.servicequotas.models import ServiceQuotasBackend

from orgnb.sandbox import registry
from orgnb.sandbox.limits import ACCOUNTS_QUOTA_CODE, ACCOUNTS_QUOTA_NAME


def accounts_quota(account_id: str, region: str) -> dict[str, Any]:
    """The Service Quotas record of the organization's account quota, as `account_id` sees it."""
    return {
        "ServiceCode": "organizations",
        "ServiceName": "AWS Organizations",
        "QuotaArn": f"arn:aws:servicequotas:{region}:{account_id}:organizations/{ACCOUNTS_QUOTA_CODE}",
        "QuotaCode": ACCOUNTS_QUOTA_CODE,
        "QuotaName": ACCOUNTS_QUOTA_NAME,
        "Value": float(registry.account_limit(registry.management_of(account_id))),
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": True,
    }


def install() -> None:
    """Patch Service Quotas."""
    original_get = ServiceQuotasBackend.get_service_quota
    original_list = ServiceQuotasBackend.list_aws_default_service_quotas

    def get_service_quota(self: ServiceQuotasBackend, service_code: str, quota_code: str) -> dict[str, Any]:
        if (service_code, quota_code) == ("organizations", ACCOUNTS_QUOTA_CODE):
            return accounts_quota(self.account_id, self.region_name)
        return original_get(self, service_code, quota_code)

    def list_aws_default_service_quotas(self: ServiceQuotasBackend, service_code: str) -> list[dict[str, Any]]:
        if service_code == "organizations":
            return [{**accounts_quota(self.account_id, self.region_name), "Value": float(registry.DEFAULT_ACCOUNT_LIMIT)}]
        return original_list(self, service_code)

    ServiceQuotasBackend.get_service_quota = get_service_quota  # type: ignore[method-assign]
    ServiceQuotasBackend.list_aws_default_service_quotas = list_aws_default_service_quotas  # type: ignore[method-assign]
