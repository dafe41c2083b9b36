"""An advisory lease on the organization's root, so two operators or CI jobs never apply at once.

The lease is three tags on the root: who holds it (principal ARN), which run (record folder name), and until when
(UTC). A run takes it just before its first write and gives it back after its last; while it applies, it renews
the lease when less than half of it is left. Another run that finds a live lease held by someone else is refused
(exit 3) with the holder's name; a lease whose time has passed (its holder was killed) is taken over.

The lease is advisory: tagging is last-writer-wins, so the taker reads the tags back after writing them, which
narrows the window two simultaneous takers share to the time between their writes and reads. Its calls go through
their own client and counter: they are bookkeeping, not changes to the estate the plan describes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError

from orgnb.aws.listing import listed
from orgnb.aws.session import AwsContext
from orgnb.errors import LeaseHeld

HOLDER, RUN, EXPIRES = "orgnb:lease-holder", "orgnb:lease-run", "orgnb:lease-expires"
TTL = timedelta(minutes=30)


@dataclass(frozen=True)
class Lease:
    """Who applies to the organization now, for which run, until when."""

    holder: str
    run: str
    expires: datetime

    def live(self, now: datetime) -> bool:
        """True until the lease's time has passed."""
        return now < self.expires


def _now() -> datetime:
    return datetime.now(UTC)


def read_lease(ctx: AwsContext, root_id: str) -> Lease | None:
    """The lease tags on the root, or None when there are none (or they are unreadable as a lease)."""
    tags = {t["Key"]: t["Value"] for t in listed(ctx.client("organizations"), "list_tags_for_resource", "Tags", ResourceId=root_id)}
    if not {HOLDER, RUN, EXPIRES} <= set(tags):
        return None
    try:
        expires = datetime.fromisoformat(tags[EXPIRES])
    except ValueError:
        return None
    return Lease(tags[HOLDER], tags[RUN], expires if expires.tzinfo else expires.replace(tzinfo=UTC))


class RootLease:
    """The lease one run takes, renews and gives back."""

    def __init__(self, ctx: AwsContext, root_id: str, holder: str, run: str, ttl: timedelta = TTL) -> None:
        self.ctx = ctx
        self.root_id = root_id
        self.holder = holder
        self.run = run
        self.ttl = ttl
        self.expires: datetime | None = None

    def _refuse(self, lease: Lease) -> LeaseHeld:
        return LeaseHeld(
            f"run {lease.run} by {lease.holder} is applying to this organization until {lease.expires:%Y-%m-%d %H:%M:%S} UTC: "
            f"wait for it to finish, then run again (if that run died: `orgnb lease break -f <parameters> --run {lease.run}`)"
        )

    def _write(self, now: datetime) -> None:
        expires = now + self.ttl
        tags = [{"Key": HOLDER, "Value": self.holder}, {"Key": RUN, "Value": self.run}, {"Key": EXPIRES, "Value": expires.isoformat()}]
        self.ctx.client("organizations").tag_resource(ResourceId=self.root_id, Tags=tags)
        self.expires = expires

    def acquire(self) -> None:
        """Take the lease, or raise LeaseHeld naming the run that holds it."""
        now = _now()
        current = read_lease(self.ctx, self.root_id)
        if current is not None and current.run != self.run and current.live(now):
            raise self._refuse(current)
        self._write(now)
        confirmed = read_lease(self.ctx, self.root_id)
        if confirmed is None or confirmed.run != self.run:
            raise self._refuse(confirmed) if confirmed else LeaseHeld("another run changed the lease tags while this one took them")

    def renew_if_due(self) -> None:
        """Extend the lease when less than half of it is left (called between steps); raise LeaseHeld when another
        run has taken it meanwhile (this run outlived it)."""
        now = _now()
        if self.expires is not None and self.expires - now < self.ttl / 2:
            current = read_lease(self.ctx, self.root_id)
            if current is not None and current.run != self.run:
                raise self._refuse(current)
            self._write(now)

    def release(self) -> bool:
        """Give the lease back if this run still holds it (never another run's); True when it was given back."""
        try:
            current = read_lease(self.ctx, self.root_id)
            if current is None or current.run != self.run:
                return False
            self.ctx.client("organizations").untag_resource(ResourceId=self.root_id, TagKeys=[HOLDER, RUN, EXPIRES])
            return True
        except (ClientError, BotoCoreError):
            return False  # the lease expires by itself; the apply's own outcome is what matters


def break_lease(ctx: AwsContext, root_id: str, run: str) -> Lease | None:
    """Remove the lease of `run` (one the operator knows was killed); the lease that was there, or None if none.

    Refuses (LeaseHeld) when the lease belongs to another run: only the run named can be declared dead."""
    current = read_lease(ctx, root_id)
    if current is None:
        return None
    if current.run != run:
        raise LeaseHeld(f"the lease belongs to run {current.run} by {current.holder}, not {run}: name the run that died")
    ctx.client("organizations").untag_resource(ResourceId=root_id, TagKeys=[HOLDER, RUN, EXPIRES])
    return current
