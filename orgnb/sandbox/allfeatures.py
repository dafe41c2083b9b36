"""EnableAllFeatures: a parent handshake, one child per invited member, and the management account's approval.

State and rules only (the wire is in org_api). The parent starts REQUESTED; once every child is accepted (or
cancelled with a member that left) it opens, with an APPROVE_ALL_FEATURES handshake the management account accepts.
"""

from __future__ import annotations

from moto.core.utils import utcnow
from moto.organizations.models import organizations_backends

from orgnb.sandbox.exceptions import HandshakeConstraintViolation, InvalidHandshakeTransition, OrgAccessDenied
from orgnb.sandbox.handshake import HANDSHAKES, Handshake, check_transition, locked, new_id
from orgnb.sandbox.membership import management_backend


@locked
def enable_all_features(caller: str) -> Handshake:
    """EnableAllFeatures: a parent handshake, one child per invited member; finalized by the management account."""
    backend = management_backend(caller)
    org = backend.org
    if org.feature_set == "ALL":
        raise HandshakeConstraintViolation("ORGANIZATION_ALREADY_HAS_ALL_FEATURES")
    if getattr(org, "pending_all_features", False):
        raise HandshakeConstraintViolation("ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION")
    org.pending_all_features = True
    org_party = {"Id": org.id, "Type": "ORGANIZATION"}
    now = utcnow()
    parent = Handshake(
        new_id(), "ENABLE_ALL_FEATURES", org.id, caller, [org_party], [{"Type": "ORGANIZATION", "Value": org.id}], "REQUESTED", now
    )
    HANDSHAKES[parent.id] = parent
    for member in backend.accounts:
        if member.id != caller and member.joined_method == "INVITED" and member.state == "ACTIVE":
            parties = [org_party, {"Id": member.id, "Type": "ACCOUNT"}]
            resources = [{"Type": "ORGANIZATION", "Value": org.id}, {"Type": "PARENT_HANDSHAKE", "Value": parent.id}]
            child = Handshake(
                new_id(), "ENABLE_ALL_FEATURES", org.id, caller, parties, resources, "REQUESTED", now, member.id, parent_id=parent.id
            )
            HANDSHAKES[child.id] = child
    advance(parent.id)
    return parent


def advance(parent_id: str) -> None:
    """Open the parent request, with its approval, once every remaining child is accepted."""
    parent = HANDSHAKES[parent_id]
    # children of members that left (cancelled with them) no longer count
    children = [h for h in HANDSHAKES.values() if h.parent_id == parent_id and h.action == "ENABLE_ALL_FEATURES" and h.state != "CANCELED"]
    if parent.state == "REQUESTED" and all(c.state == "ACCEPTED" for c in children):
        parent.state = "OPEN"
        approve = Handshake(
            new_id(),
            "APPROVE_ALL_FEATURES",
            parent.org_id,
            parent.sender,
            parent.parties,
            parent.resources,
            "OPEN",
            parent.requested_at,
            parent.sender,
        )
        approve.parent_id = parent.id
        HANDSHAKES[approve.id] = approve


def finish(h: Handshake, caller: str) -> Handshake:
    """The management account accepts the approval (or the opened parent): the organization has all features."""
    if h.sender != caller:
        raise OrgAccessDenied()
    check_transition(h, "ACCEPTED")
    parent = HANDSHAKES[h.parent_id] if h.action == "APPROVE_ALL_FEATURES" and h.parent_id else h
    if parent.state != "OPEN":
        raise InvalidHandshakeTransition()
    backend = organizations_backends[caller]["aws"]
    backend.org.feature_set = "ALL"
    backend.org.pending_all_features = False
    for related in [parent, *(x for x in HANDSHAKES.values() if x.action == "APPROVE_ALL_FEATURES" and x.parent_id == parent.id)]:
        related.settle("ACCEPTED")
    return h
