"""Policies that name an account's old organization: widened before it moves, narrowed once its organization is gone.

A role trusting `aws:PrincipalOrgID` of the old organization, or a bucket or key policy limited to it, serves the
principals of that organization. While its accounts move one by one, some principals are in the old organization
and some in the new one, so each such document first lists both ids (widened), and only once every account of the
old organization has moved does it name the new one alone (narrowed). Nothing stops working in between.

Each document is found from inside its account, shown as a diff in the plan, and written from inside the account.
The writers read the document again before writing, so a change made meanwhile is kept; only organization ids
change. Values that merely contain an old id (an `aws:PrincipalOrgPaths` path, an organization ARN) are left for a
person to remap: their root and OU ids differ in the new organization too.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from orgnb.aws.orgrefs import load_policy, org_references
from orgnb.aws.session import AwsContext


@dataclass(frozen=True)
class OrgPolicy:
    """One policy document inside an account that names an old organization, as it is now."""

    account_id: str
    kind: str  # iam-role-trust / s3-bucket-policy / kms-key-policy
    resource: str  # role name, bucket name or key id
    old_org_ids: tuple[str, ...]
    document: str
    manual: tuple[str, ...] = ()  # places a person must remap (org paths, ARNs)

    def widened(self, new_org_id: str) -> str:
        """The document listing the new organization's id next to each old one."""
        return widen_org_ids(self.document, self.old_org_ids, new_org_id)

    def narrowed(self, new_org_id: str) -> str:
        """The document naming the new organization where it named an old one."""
        return narrow_org_ids(self.document, self.old_org_ids, new_org_id)

    def diff(self, after: str) -> str:
        """A unified diff from the document now to `after`, pretty-printed."""
        lines = difflib.unified_diff(
            _pretty(self.document).splitlines(),
            _pretty(after).splitlines(),
            f"{self.resource} (now)",
            f"{self.resource} (planned)",
            lineterm="",
        )
        return "\n".join(lines)


def _pretty(document: str) -> str:
    return json.dumps(load_policy(document), indent=2, sort_keys=True)


def _rewrite_values(document: str | dict[str, Any], change: Callable[[list[Any]], list[Any]]) -> str:
    """The document with `change` applied to every list of values and to every single value (as a one-item list)."""

    def walk(node: Any, in_list: bool = False) -> Any:
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return change([walk(v, True) for v in node])
        if isinstance(node, str) and not in_list:
            changed = change([node])
            return changed[0] if len(changed) == 1 else changed
        return node

    return json.dumps(walk(load_policy(document)), sort_keys=True)


def _names(values: list[Any], ids: Collection[str]) -> bool:
    return any(isinstance(v, str) and v in ids for v in values)


def widen_org_ids(document: str | dict[str, Any], old_ids: Collection[str], new_id: str) -> str:
    """Every value list (or single value) naming an old organization id also names `new_id`."""
    return _rewrite_values(document, lambda values: values + [new_id] if new_id not in values and _names(values, old_ids) else values)


def narrow_org_ids(document: str | dict[str, Any], old_ids: Collection[str], new_id: str) -> str:
    """Every old organization id becomes `new_id`, each id once; a list left with one value becomes that value."""

    def narrow(values: list[Any]) -> list[Any]:
        if not _names(values, old_ids):
            return values
        swapped = [new_id if v in old_ids else v for v in values]
        return [v for i, v in enumerate(swapped) if v not in swapped[:i]]

    return _rewrite_values(document, narrow)


def policy_documents(ctx: AwsContext) -> list[tuple[str, str, str]]:
    """(kind, resource, document) for every role trust policy, bucket policy and key policy in the account."""
    found: list[tuple[str, str, str]] = []
    for page in ctx.client("iam").get_paginator("list_roles").paginate():
        found += [("iam-role-trust", r["RoleName"], json.dumps(load_policy(r["AssumeRolePolicyDocument"]))) for r in page["Roles"]]
    s3 = ctx.client("s3")
    for bucket in s3.list_buckets().get("Buckets", []):
        try:
            found.append(("s3-bucket-policy", bucket["Name"], s3.get_bucket_policy(Bucket=bucket["Name"])["Policy"]))
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NoSuchBucketPolicy":
                raise
    kms = ctx.client("kms")
    for page in kms.get_paginator("list_keys").paginate():
        for key in page["Keys"]:
            found.append(("kms-key-policy", key["KeyId"], kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]))
    return found


def find_org_policies(ctx: AwsContext, account_id: str, old_org_ids: Collection[str]) -> list[OrgPolicy]:
    """Every policy in the account (read through `ctx`, inside it) that names one of `old_org_ids`."""
    if not old_org_ids:
        return []
    found = []
    for kind, resource, document in policy_documents(ctx):
        named = tuple(sorted(o for o in old_org_ids if org_references(document, [o])))
        if named:
            left = org_references(narrow_org_ids(document, named, "-"), named)  # what narrowing cannot reach
            found.append(OrgPolicy(account_id, kind, resource, named, json.dumps(load_policy(document), sort_keys=True), tuple(left)))
    return found


def write_policy(ctx: AwsContext, kind: str, resource: str, old_org_ids: Collection[str], rewrite: Callable[[str], str]) -> bool:
    """Read the document again, apply `rewrite`, write it back from inside the account; False when nothing changed."""
    current = next((d for k, r, d in policy_documents(ctx) if k == kind and r == resource), None)
    if current is None or not org_references(current, old_org_ids):
        return False
    document = rewrite(current)
    if json.loads(document) == load_policy(current):
        return False
    if kind == "iam-role-trust":
        ctx.client("iam").update_assume_role_policy(RoleName=resource, PolicyDocument=document)
    elif kind == "s3-bucket-policy":
        ctx.client("s3").put_bucket_policy(Bucket=resource, Policy=document)
    else:
        ctx.client("kms").put_key_policy(KeyId=resource, PolicyName="default", Policy=document)
    return True
