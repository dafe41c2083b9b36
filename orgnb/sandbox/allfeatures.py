"""EnableAllFeatures: a parent handshake, one child per invited member, and the management account's approval.

State and rules only (the wire is in org_api). The parent starts REQUESTED; once every invited member still in the
organization has accepted its child, it opens, with an APPROVE_ALL_FEATURES handshake the management account
accepts. The organization is "pending all features" exactly while its parent request is pending: an expired or
cancelled request no longer is.

From the Organizations User Guide, "Enabling all features in your organization":
- "If an account declines the request, you must either remove the account from your organization or resend the
  request." Removing the account (RemoveAccountFromOrganization, or it leaves or moves away) takes its declined
  child out of the count. Resending: AWS documents no API that resends one member's request, and botocore's reason
  ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION refuses EnableAllFeatures while a request is pending; so the
  request is sent again by cancelling it (CancelHandshake on the parent cancels its children) and calling
  EnableAllFeatures again ("you can cancel the process to enable all features ... and then restart the process").
- "all pending invitations for other accounts to join the organization are automatically canceled": EnableAllFeatures
  cancels the organization's pending INVITE handshakes.
Settings (registered with state; the admin route POST /orgnb-api/settings changes them):
- `all_features_request_days` (15): how long the request (parent, children, approval) lives. EnableAllFeatures'
  example in botocore's model expires 15 days after it is requested; the same user guide page speaks of "a countdown
  of 90 days". The shorter is the default: a rehearsal should not count on time AWS may not give.
- `invite_during_all_features` (false): InviteAccountToOrganization while the request is pending is refused with
  HandshakeConstraintViolation INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES (botocore: "You can't issue new invitations
  to join an organization while it's in the process of enabling all features"); the user guide agrees ("you can't
  invite existing accounts to join the organization"). True lets such invitations through, to rehearse the other
  reading.
"""

from __future__ import annotations

from datetime import timedelta

from moto.core.utils import utcnow
from moto.organizations.models import organizations_backends

from orgnb.sandbox import state
from orgnb.sandbox.exceptions import HandshakeConstraintViolation, InvalidHandshakeTransition, OrgAccessDenied
from orgnb.sandbox.handshake import HANDSHAKES, PENDING, Handshake, check_transition, locked, new_id
from orgnb.sandbox.membership import management_backend

SETTINGS = state.settings(
    {"request_lifetime": timedelta(days=15), "invite_during_all_features": False},
    all_features_request_days=state.Field("request_lifetime", state.days, state.in_days),
    invite_during_all_features=state.Field("invite_during_all_features", bool),
)


def pending_request(org_id: str) -> Handshake | None:
    """The organization's ENABLE_ALL_FEATURES request while it is pending (expiry applied)."""
    for h in HANDSHAKES.values():
        if h.org_id == org_id and h.action == "ENABLE_ALL_FEATURES" and h.parent_id is None:
            h.refresh()
            if h.state in PENDING:
                return h
    return None


def invitations_refused(org_id: str) -> bool:
    """True while the organization may not invite accounts (its all-features request is pending)."""
    return not SETTINGS["invite_during_all_features"] and pending_request(org_id) is not None


@locked
def enable_all_features(caller: str) -> Handshake:
    """EnableAllFeatures: a parent handshake, one child per invited member; finalized by the management account."""
    backend = management_backend(caller)
    org = backend.org
    if org.feature_set == "ALL":
        raise HandshakeConstraintViolation("ORGANIZATION_ALREADY_HAS_ALL_FEATURES")
    if pending_request(org.id) is not None:
        raise HandshakeConstraintViolation("ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION")
    for invitation in HANDSHAKES.values():
        if invitation.org_id == org.id and invitation.action == "INVITE" and invitation.state in PENDING:
            invitation.settle("CANCELED")
    org_party = {"Id": org.id, "Type": "ORGANIZATION"}
    now, lifetime = utcnow(), SETTINGS["request_lifetime"]
    resources = [{"Type": "ORGANIZATION", "Value": org.id}]
    parent = Handshake(new_id(), "ENABLE_ALL_FEATURES", org.id, caller, [org_party], resources, "REQUESTED", now, lifetime=lifetime)
    HANDSHAKES[parent.id] = parent
    for member in backend.accounts:
        if member.id != caller and member.joined_method == "INVITED" and member.state == "ACTIVE":
            parties = [org_party, {"Id": member.id, "Type": "ACCOUNT"}]
            child_resources = [*resources, {"Type": "PARENT_HANDSHAKE", "Value": parent.id}]
            child = Handshake(
                new_id(), "ENABLE_ALL_FEATURES", org.id, caller, parties, child_resources, "REQUESTED", now, member.id, lifetime=lifetime
            )
            child.parent_id = parent.id
            HANDSHAKES[child.id] = child
    advance(parent.id)
    return parent


def advance(parent_id: str) -> None:
    """Open the parent request, with its approval, once every invited member still in the organization accepted."""
    parent = HANDSHAKES[parent_id]
    members = {a.id for a in organizations_backends[parent.sender]["aws"].accounts}
    children = [h for h in HANDSHAKES.values() if h.parent_id == parent_id and h.action == "ENABLE_ALL_FEATURES"]
    if parent.state == "REQUESTED" and all(c.state == "ACCEPTED" for c in children if c.recipient_account in members):
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
            lifetime=parent.lifetime,
        )
        approve.parent_id = parent.id
        HANDSHAKES[approve.id] = approve


def member_departed(org_id: str) -> None:
    """A member left the organization: the request no longer waits for it."""
    parent = pending_request(org_id)
    if parent is not None:
        advance(parent.id)


def finish(h: Handshake, caller: str) -> Handshake:
    """The management account accepts the approval (or the opened parent): the organization has all features."""
    if h.sender != caller:
        raise OrgAccessDenied()
    check_transition(h, "ACCEPTED")
    parent = HANDSHAKES[h.parent_id] if h.action == "APPROVE_ALL_FEATURES" and h.parent_id else h
    if parent.state != "OPEN":
        raise InvalidHandshakeTransition()
    organizations_backends[caller]["aws"].org.feature_set = "ALL"
    for related in [parent, *(x for x in HANDSHAKES.values() if x.action == "APPROVE_ALL_FEATURES" and x.parent_id == parent.id)]:
        related.settle("ACCEPTED")
    return h
