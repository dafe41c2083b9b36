"""Where accounts go: OU paths resolved to ids live, OUs created level by level, accounts moved (phases 04 and 05).

Plans name OUs by path (`Workloads/Prod`), because an OU created by the same plan has no id yet. The resolver
reads the tree at apply time, one level at a time, and remembers what it has seen for the rest of the apply.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from orgnb.aws.listing import first
from orgnb.aws.session import AwsContext
from orgnb.errors import OrgnbError


class OuNotFound(OrgnbError):
    """An OU path names an OU that does not exist (yet)."""


class OuResolver:
    """Turns OU paths into ids with live reads (cached for the resolver's life); '' is the root."""

    def __init__(self, ctx: AwsContext) -> None:
        self.ctx = ctx
        self._ids: dict[str, str] = {}

    @property
    def orgs(self) -> Any:
        """The Organizations client."""
        return self.ctx.client("organizations")

    def root_id(self) -> str:
        """The organization's root id."""
        if "" not in self._ids:
            self._ids[""] = first(self.orgs, "list_roots", "Roots")["Id"]
        return self._ids[""]

    def _child(self, parent_id: str, name: str) -> str | None:
        pages = self.orgs.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent_id)
        return next((ou["Id"] for page in pages for ou in page["OrganizationalUnits"] if ou["Name"] == name), None)

    def id_for(self, path: str) -> str:
        """The id of the OU at `path` (the root for ''); OuNotFound when a level is missing."""
        if path in self._ids or not path:
            return self._ids.get(path) or self.root_id()
        parent, _, name = path.rpartition("/")
        found = self._child(self.id_for(parent), name)
        if found is None:
            raise OuNotFound(f"no OU at {path!r}")
        self._ids[path] = found
        return found

    def create(self, path: str) -> tuple[str, bool]:
        """Create the OU at `path` under its (existing) parent; (id, created). An OU already there is reused."""
        parent, _, name = path.rpartition("/")
        parent_id = self.id_for(parent)
        try:
            ou_id = str(self.orgs.create_organizational_unit(ParentId=parent_id, Name=name)["OrganizationalUnit"]["Id"])
            created = True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "DuplicateOrganizationalUnitException":
                raise
            found = self._child(parent_id, name)  # made by an earlier, interrupted run
            if found is None:  # not listed yet (eventual consistency): the next run finds it
                raise OuNotFound(f"AWS says an OU {path!r} exists but does not list it yet: run the phase again") from exc
            ou_id, created = found, False
        self._ids[path] = ou_id
        return ou_id, created

    def move(self, account_id: str, path: str) -> bool:
        """Move an account to the OU at `path` from wherever it is now; False when it is already there."""
        destination = self.id_for(path)
        source = first(self.orgs, "list_parents", "Parents", ChildId=account_id)["Id"]
        if source == destination:
            return False
        self.orgs.move_account(AccountId=account_id, SourceParentId=source, DestinationParentId=destination)
        return True
