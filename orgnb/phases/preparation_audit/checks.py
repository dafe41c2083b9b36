"""The preparation audit's checks, one small function each, judging the once-collected AuditInventory.

Each check yields (status, detail, remediation), or (id suffix, status, detail, remediation) when it reports
on several things (one finding per account to move, say). Checks read; they never call AWS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from orgnb.aws.capacity import CREATE_ACCOUNT_IN_FLIGHT, DAILY_INVITATIONS, request_increase
from orgnb.aws.session import MEMBER_ROLE
from orgnb.input.parameters import ManualId, Parameters, Transfer
from orgnb.phases.preparation_audit.collect import GROUP_KIND, AuditInventory, MovingAccount
from orgnb.phases.preparation_audit.findings import CHECKS, Finding, Findings, Severity, Status, check

Row = tuple[Status, str, str]
SuffixedRow = tuple[str, Status, str, str]
NEARLY_EMPTY = 2  # an old management account with at most this many resources may be better closed than moved


def manual(params: Parameters, item: ManualId, what: str) -> Row:
    """MANUAL until the parameters attest `item`; then PASS, naming who attested and when."""
    att = params.attestations.get(item)
    if att is None:
        return Status.MANUAL, what, f"once done, attest it: attestations.{item.value} = {{by, at, note}}"
    note = f": {att.note}" if att.note else ""
    return Status.PASS, f"attested by {att.by} on {att.at}{note}", ""


@check("identity.caller", "identity", Severity.CRITICAL, "The caller is the planned management account")
def caller_is_management(audit: AuditInventory) -> Iterator[Row]:
    caller = audit.inventory.caller
    expected = audit.params.organization.management_account_id
    if caller.account_id != expected:
        yield (
            Status.FAIL,
            f"credentials act in {caller.account_id} ({caller.arn}), the plan names {expected}",
            "use the management account's profile",
        )
    elif caller.is_root:
        yield (
            Status.WARN,
            f"{caller.arn} is the root user",
            "run the runbook as an IAM or SSO administrator; keep root for what only root can do",
        )
    else:
        yield Status.PASS, f"{caller.arn} in {caller.account_id}", ""


@check("identity.organization", "identity", Severity.HIGH, "The candidate is standalone or already manages its own Organization")
def candidate_organization(audit: AuditInventory) -> Iterator[Row]:
    inv = audit.inventory
    if inv.organization is None:
        yield Status.PASS, "standalone: phase 02 creates the Organization", ""
    elif inv.is_management:
        yield Status.PASS, f"manages {inv.organization.id} ({inv.organization.feature_set}) with {len(inv.accounts)} account(s)", ""
    else:
        org = inv.organization
        yield (
            Status.FAIL,
            f"member of {org.id}, managed by {org.management_account_id}",
            "leave that organization first, or choose another management account",
        )


@check("identity.control-tower", "identity", Severity.MEDIUM, "Control Tower is a deliberate decision")
def control_tower(audit: AuditInventory) -> Iterator[Row]:
    signals = audit.control_tower_signals
    if not signals and audit.control_tower_unreadable:
        yield Status.WARN, f"could not read {', '.join(audit.control_tower_unreadable)}", "allow iam:ListRoles and re-run the audit"
        return
    if not signals:
        yield Status.PASS, "no sign of Control Tower", ""
        return
    what = (
        f"Control Tower is in play ({'; '.join(signals)}). Try it first in a clean, throwaway organization: it is hard to remove completely"
    )
    yield manual(audit.params, ManualId.CONTROL_TOWER_DECISION, what)


@check("management.workloads", "management", Severity.HIGH, "The management account runs no workloads")
def management_workloads(audit: AuditInventory) -> Iterator[Row]:
    census = audit.census
    counted = ", ".join(f"{n} {k}" for k, n in census.counts.items() if n) or "nothing"
    if census.unreadable:
        yield Status.WARN, f"found {counted}; could not read {', '.join(census.unreadable)}", "grant read access and re-run the audit"
    elif census.total:
        yield (
            Status.WARN,
            f"found {counted} in {census.account_id}",
            "create a new, empty management account and invite this one as a member",
        )
    else:
        yield (
            Status.PASS,
            f"no production-looking resources in {audit.params.organization.region}: fine to use as the management account",
            "",
        )


def _implication(m: MovingAccount) -> str:
    if m.kind == "standalone":
        return "invite; the owner accepts; it keeps its own billing until it joins"
    org = m.organization
    assert org is not None, "a member or management account is one whose organization was read"
    if m.kind == "member":
        return f"invite; it accepts from inside and moves from {org.id} in one step (direct transfer, never standalone)"
    members = len(m.features.accounts) - 1 if m.features else "?"
    return f"its {members} member(s) move first; then delete {org.id} (a short standalone window), accept"


@check("moving", "moving", Severity.HIGH, "Each account to move is what the parameters say it is")
def moving_accounts(audit: AuditInventory) -> Iterator[SuffixedRow]:
    for m in audit.moving:
        declared = GROUP_KIND[m.group]
        if m.seen_as is not None and m.error:
            yield m.field, Status.FAIL, m.error, "point the profile at the account it is listed under"
        elif m.kind == "unknown":
            yield (
                m.field,
                Status.WARN,
                f"{m.account_id}: {m.error}",
                "give a profile that acts inside the account, or expect its owner to act",
            )
        elif m.kind != declared:
            where = f" of {m.organization.id}" if m.organization else ""
            remedy = f"move it to the list for {m.kind} accounts"
            yield m.field, Status.FAIL, f"{m.account_id} is a {m.kind} account{where}, listed as {declared}", remedy
        else:
            yield m.field, Status.PASS, f"{m.account_id} is a {m.kind} account: {_implication(m)}", ""


def _planned_accounts(audit: AuditInventory) -> set[str]:
    """The accounts of the organization the parameters plan: the management account, its members, the accounts moved in."""
    own = {a.id for a in audit.inventory.accounts} if audit.inventory.is_management else set()
    return own | {audit.params.organization.management_account_id} | {m.account_id for m in audit.moving}


@check("moving.role-trust", "moving", Severity.HIGH, "Roles in accounts to move trust no account outside the planned organization")
def role_trust(audit: AuditInventory) -> Iterator[SuffixedRow]:
    management = audit.params.organization.management_account_id
    planned = _planned_accounts(audit)
    for m in audit.moving:
        for name, trusted in m.role_trusts:
            outside = [t for t in trusted if re.fullmatch(r"\d{12}", t) and t not in planned]
            if outside:
                yield (
                    f"{m.field}.{name}",
                    Status.WARN,
                    f"{m.account_id} role {name} trusts {', '.join(outside)}, outside the planned organization",
                    "confirm each is wanted (a vendor, a partner), or remove it from the trust policy before the move",
                )
            if name == MEMBER_ROLE and trusted != (management,):
                yield (
                    f"{m.field}.{name}.management",
                    Status.WARN,
                    f"{m.account_id} {name} trusts {', '.join(trusted) or 'nobody'}: the new management account cannot use it",
                    f"phase 05 makes it trust {management} alone once the account has joined (phase 06 checks every member)",
                )


@check("moving.close-instead", "moving", Severity.LOW, "Nearly empty old management accounts may be better closed")
def close_instead(audit: AuditInventory) -> Iterator[SuffixedRow]:
    for m in audit.moving:
        if m.group == "old_managements" and m.census is not None:
            if m.census.total <= NEARLY_EMPTY:
                yield m.field, Status.WARN, f"{m.account_id} holds {m.census.total} resource(s)", "consider closing it instead of moving it"
            else:
                yield m.field, Status.PASS, f"{m.account_id} holds {m.census.total} resources: moving it is worth it", ""


@check("moving.credits", "moving", Severity.MEDIUM, "Credits are safe")
def credits(audit: AuditInventory) -> Iterator[Row]:
    what = "tell the AWS account manager about the new management account's id so credits follow the move"
    yield manual(audit.params, ManualId.CREDITS_DISCUSSED, what)


@check("moving.finance", "moving", Severity.MEDIUM, "Finance knows about any standalone-billing gap")
def finance(audit: AuditInventory) -> Iterator[Row]:
    leaving = [m.account_id for m in audit.params.migrations if m.transfer == Transfer.LEAVE]
    standing = leaving + [m.account_id for m in audit.params.old_managements]
    if not standing:
        yield Status.PASS, "members move by direct transfer, keeping their payment method: no account stands alone", ""
        return
    what = (
        f"{', '.join(standing)} stand alone for a while (old management accounts between deleting their organization and "
        "joining; members with transfer: leave between leaving and joining): finance must expect it, a card be ready"
    )
    yield manual(audit.params, ManualId.FINANCE_INFORMED, what)


@check("features", "features", Severity.HIGH, "Old organizations' features are known before they go")
def org_features(audit: AuditInventory) -> Iterator[SuffixedRow]:
    for m in audit.moving:
        f = m.features
        if f is None:
            continue
        used = {
            "service-access": ", ".join(f.service_principals),
            "policy-types": ", ".join(f.policy_types),
            "policies": ", ".join(f"{name} ({ptype}) on {', '.join(targets) or 'nothing'}" for _, name, ptype, targets in f.policies),
            "delegated-admins": ", ".join(f"{acct} for {', '.join(svcs)}" for acct, svcs in f.delegated_admins),
        }
        for kind, items in used.items():
            if items:
                yield (
                    f"{m.field}.{kind}",
                    Status.WARN,
                    f"{f.org_id} uses {kind.replace('-', ' ')}: {items}",
                    "re-create what is still needed in the new organization (phase 05)",
                )
            else:
                yield f"{m.field}.{kind}", Status.PASS, f"{f.org_id} uses no {kind.replace('-', ' ')}", ""


@check("features.references", "features", Severity.HIGH, "Policies naming an old organization are found")
def org_policy_references(audit: AuditInventory) -> Iterator[SuffixedRow]:
    for m in audit.moving:
        for n, ref in enumerate(m.references, start=1):
            assert m.organization is not None, "references are looked for only in an account whose organization was read"
            yield (
                f"{m.field}.{ref.kind}.{n}",
                Status.WARN,
                f"{ref.resource} names {m.organization.id} at {', '.join(ref.paths)}",
                "phase 05 rewrites it to the new organization's id once the account has joined",
            )
        if m.unreadable:
            yield (
                f"{m.field}.unreadable",
                Status.WARN,
                f"could not read {', '.join(m.unreadable)}",
                "grant read access inside the account and re-run",
            )


@check("emails.plan", "emails", Severity.HIGH, "Planned root emails are valid and unique")
def email_plan(audit: AuditInventory) -> Iterator[Row]:
    planned = list(audit.params.planned_emails())
    taken = {a.email.lower(): a.id for a in audit.inventory.accounts}
    clashes = [
        f"{email} ({field}) belongs to {taken[email.lower()]}"
        for field, email in planned
        if email.lower() in taken and not field.startswith("accounts")
    ]
    if clashes:
        yield Status.FAIL, "; ".join(clashes), "AWS root emails are unique across all of AWS: pick another address"
    else:
        yield Status.PASS, f"{len(planned)} planned address(es), each valid by AWS's rules and unique", ""


@check("emails.management", "emails", Severity.MEDIUM, "The management account's root email is the planned one")
def management_email(audit: AuditInventory) -> Iterator[Row]:
    planned = audit.params.root_email.address(audit.params.organization.management_slug)
    org = audit.inventory.organization
    if org is None or not audit.inventory.is_management:
        yield Status.WARN, f"not readable before the Organization exists; planned {planned}", "compare it in the console (account settings)"
    elif org.management_account_email.lower() != planned.lower():
        yield (
            Status.WARN,
            f"is {org.management_account_email}, planned {planned}",
            "change it in the console as root; codes go to both addresses",
        )
    else:
        yield Status.PASS, planned, ""


@check("emails.alias", "emails", Severity.HIGH, "The root-email alias exists and reaches people")
def email_alias(audit: AuditInventory) -> Iterator[Row]:
    alias = f"{audit.params.root_email.local_part}@{audit.params.root_email.domain}"
    yield manual(
        audit.params, ManualId.EMAIL_ALIAS_READY, f"{alias} must be a group alias with plus-addressing, and you must be subscribed to it"
    )


@check("emails.test", "emails", Severity.HIGH, "Test emails to planned addresses arrived")
def email_test(audit: AuditInventory) -> Iterator[Row]:
    yield manual(
        audit.params, ManualId.TEST_EMAILS_RECEIVED, "send a test message to a planned address (e.g. the org-ops one) and see it arrive"
    )


def _root_fact(value: bool | None, healthy: bool, ok: str, bad: str, fix: str) -> Row:
    """PASS when the account summary's flag has its healthy value, FAIL when not, WARN when unreadable."""
    if value is None:
        return Status.WARN, "account summary not readable", "allow iam:GetAccountSummary"
    return (Status.PASS, ok, "") if value == healthy else (Status.FAIL, bad, fix)


@check("root.mfa", "root", Severity.CRITICAL, "The management account's root user has MFA")
def root_mfa(audit: AuditInventory) -> Iterator[Row]:
    facts = audit.inventory.caller_facts
    fix = "sign in as root and add an MFA device that others can use later (shared vault)"
    yield _root_fact(facts.root_mfa if facts else None, True, "root MFA is enabled", "root MFA is not enabled", fix)


@check("root.access-keys", "root", Severity.CRITICAL, "The management account's root user has no access keys")
def root_keys(audit: AuditInventory) -> Iterator[Row]:
    facts = audit.inventory.caller_facts
    fix = "delete them (Security credentials page, as root)"
    yield _root_fact(facts.root_access_keys if facts else None, False, "no root access keys", "root access keys exist", fix)


@check("root.vault", "root", Severity.HIGH, "Root password and MFA are in a shared vault")
def root_vault(audit: AuditInventory) -> Iterator[Row]:
    yield manual(
        audit.params, ManualId.ROOT_CREDENTIALS_IN_VAULT, "store the management root password and MFA where the team can reach them"
    )


@check("contacts.primary", "contacts", Severity.HIGH, "Contact information with a reachable phone")
def primary_contact(audit: AuditInventory) -> Iterator[Row]:
    facts = audit.inventory.caller_facts
    info = facts.contact_information if facts else None
    planned = audit.params.contacts.primary is not None
    if info and info.get("PhoneNumber"):
        yield Status.PASS, f"{info.get('FullName')}, {info['PhoneNumber']}", ""
    elif planned:
        yield Status.WARN, "not set yet", "phase 02 sets it from contacts.primary"
    else:
        yield Status.FAIL, "no contact information", "add contacts.primary (with a phone that reaches an employee) and run phase 02"


@check("contacts.alternate", "contacts", Severity.MEDIUM, "Billing, operations and security contacts")
def alternate_contacts(audit: AuditInventory) -> Iterator[SuffixedRow]:
    facts = audit.inventory.caller_facts
    planned = audit.params.contacts.alternates()
    for kind in ("BILLING", "OPERATIONS", "SECURITY"):
        current = facts.alternate_contacts.get(kind) if facts else None
        if current:
            yield kind.lower(), Status.PASS, f"{current.get('Name')} <{current.get('EmailAddress')}>", ""
        elif kind in planned:
            yield kind.lower(), Status.WARN, "not set yet", f"phase 02 sets it from contacts.{kind.lower()}"
        else:
            yield kind.lower(), Status.WARN, "not set", f"add contacts.{kind.lower()} and run phase 02"


def _joining(audit: AuditInventory) -> tuple[int, int, int]:
    inv = audit.inventory
    existing = len(inv.accounts) if inv.is_management else 1
    known = {a.email.lower() for a in inv.accounts}
    creations = sum(1 for a in audit.params.accounts if (a.email or audit.params.root_email.address(a.slug)).lower() not in known)
    present = {a.id for a in inv.accounts}
    joining = sum(1 for _, e in audit.params.existing_accounts() if e.account_id not in present)
    return existing, creations, joining


@check("capacity.accounts", "capacity", Severity.HIGH, "The organization's account quota fits the plan")
def capacity(audit: AuditInventory) -> Iterator[Row]:
    existing, creations, joining = _joining(audit)
    total = existing + creations + joining
    quota = audit.account_quota
    detail = (
        f"{existing} existing + {creations} to create + {joining} to bring in = {total} of {quota.value} ({quota.source}); "
        f"creation runs {CREATE_ACCOUNT_IN_FLIGHT} at a time, invitations are limited to about {DAILY_INVITATIONS} a day"
    )
    if total > quota.value:
        yield Status.FAIL, detail, f"before phase 04, {request_increase(total)}"
    elif total > 0.8 * quota.value:
        yield Status.WARN, detail, "close to the quota: request an increase before the organization grows"
    else:
        yield Status.PASS, detail, ""


def run_checks(audit: AuditInventory) -> Findings:
    """Every registered check over the collected inventory."""
    findings = []
    for chk in CHECKS:
        for row in chk.run(audit):
            suffix, (status, detail, remediation) = (row[0], row[1:]) if len(row) == 4 else (None, row)
            finding_id = f"{chk.id}.{suffix}" if suffix else chk.id
            findings.append(Finding(finding_id, chk.area, chk.severity, status, detail, remediation))
    return Findings(findings)
