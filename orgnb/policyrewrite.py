"""Policies that name an account's old organization, rewritten to name the new one (phase 05).

A role trusting `aws:PrincipalOrgID` of the old organization, or a bucket or key policy limited to it, stops
working the moment the account changes organization. Each such document is found from inside the account,
rewritten with the new organization's id in place of the old one, shown as a diff in the plan, and written back
from inside the account once it has joined. The executor reads the document again before writing, so a change
made meanwhile is kept; only the organization id is replaced.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from orgnb.orgrefs import load_policy, org_references
from orgnb.session import AwsContext


@dataclass(frozen=True)
class PolicyRewrite:
    """One policy document that names an old organization: where it is, and the document before and after."""

    account_id: str
    kind: str  # iam-role-trust / s3-bucket-policy / kms-key-policy
    resource: str  # role name, bucket name or key id
    old_org_ids: tuple[str, ...]
    before: str
    after: str
    manual: tuple[str, ...] = ()  # places a person must remap (org paths, ARNs)

    def diff(self) -> str:
        """A unified diff of the document, pretty-printed."""
        lines = difflib.unified_diff(
            _pretty(self.before).splitlines(),
            _pretty(self.after).splitlines(),
            f"{self.resource} (now)",
            f"{self.resource} (planned)",
            lineterm="",
        )
        return "\n".join(lines)


def _pretty(document: str) -> str:
    return json.dumps(load_policy(document), indent=2, sort_keys=True)


def replace_org_ids(document: str | dict[str, Any], old_ids: Collection[str], new_id: str) -> str:
    """The document as JSON text with every value that is exactly an old organization id replaced by `new_id`.

    Values that only contain one (an `aws:PrincipalOrgPaths` path, an organization ARN) are left alone: their
    root and OU ids differ in the new organization too, so a person must remap them (see `manual_paths`).
    """

    def swap(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: swap(v) for k, v in node.items()}
        if isinstance(node, list):
            return [swap(v) for v in node]
        return new_id if isinstance(node, str) and node in old_ids else node

    return json.dumps(swap(load_policy(document)), sort_keys=True)


def manual_paths(document: str | dict[str, Any], old_ids: Collection[str]) -> list[str]:
    """Where the document still names an old organization inside a longer value (paths, ARNs)."""
    return org_references(document, list(old_ids))


def _documents(ctx: AwsContext) -> list[tuple[str, str, str]]:
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


def find_rewrites(ctx: AwsContext, account_id: str, old_org_ids: Collection[str], new_org_id: str) -> list[PolicyRewrite]:
    """Every policy in the account (read through `ctx`, inside it) that names one of `old_org_ids`."""
    if not old_org_ids:
        return []
    rewrites = []
    for kind, resource, document in _documents(ctx):
        named = tuple(sorted(o for o in old_org_ids if org_references(document, [o])))
        if named:
            after = replace_org_ids(document, named, new_org_id)
            left = tuple(manual_paths(after, named))
            rewrites.append(PolicyRewrite(account_id, kind, resource, named, document, after, left))
    return rewrites


def write_rewrite(ctx: AwsContext, kind: str, resource: str, old_org_ids: Collection[str], new_org_id: str) -> bool:
    """Read the document again, replace the old ids, write it back (inside the account); False when nothing named them."""
    current = next((d for k, r, d in _documents(ctx) if k == kind and r == resource), None)
    if current is None or not org_references(current, old_org_ids):
        return False
    document = replace_org_ids(current, old_org_ids, new_org_id)
    if json.loads(document) == load_policy(current):
        return False  # only longer values name it (paths, ARNs): a person remaps those
    if kind == "iam-role-trust":
        ctx.client("iam").update_assume_role_policy(RoleName=resource, PolicyDocument=document)
    elif kind == "s3-bucket-policy":
        ctx.client("s3").put_bucket_policy(Bucket=resource, Policy=document)
    else:
        ctx.client("kms").put_key_policy(KeyId=resource, PolicyName="default", Policy=document)
    return True
