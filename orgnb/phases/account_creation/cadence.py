"""When the creation pipeline looks at its requests: when each is expected to end, within a rate for status calls.

A CreateAccount request takes as long as AWS takes (tens of seconds to minutes), and the requests of one
organization take about as long as each other. So the pipeline learns the creation time from the requests it sees
end: each SUCCEEDED status carries `RequestedTimestamp` and `CompletedTimestamp` (DescribeCreateAccountStatus in the
Organizations API reference), whose difference is AWS's own duration, however late the pipeline read it. The median
of those is the estimate. A request is expected to end at its submission (the local time its CreateAccount answer
came back, never before AWS's RequestedTimestamp) plus the estimate; at that moment the pipeline describes that
request alone (one call, and its slot is refilled at once if it has ended). Before anything has ended, and for a
request described once and found still running, the pipeline lists the IN_PROGRESS requests instead (one call
for all of them), waiting `growth` of the oldest such request's age between lists, never less than `floor` nor
more than `cap`: the first end is seen at most about `growth` of the creation time late (or `floor`, for short
ones), where a fixed interval is either too slow for short creations or too many calls for long ones.

Status calls (ListCreateAccountStatus, DescribeCreateAccountStatus) are paced by a token bucket. AWS throttles
Organizations per account (TooManyRequestsException, "You have sent too many requests in too short a period of
time", botocore's model) and publishes no rate for its operations; STATUS_CALLS_PER_SECOND is an assumption, chosen
well below the rates AWS does publish for account-level reads (AWS Account Management's quotas page:
GetRegionOptStatus 5 a second, GetAlternateContact 10 a second with bursts of 15).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

# Conservative assumption (see above): two status calls a second, sustained; a list and five describes at once.
STATUS_CALLS_PER_SECOND = 2.0
STATUS_CALL_BURST = 6
IDLE_BACKOFF = 1.5  # with none of our requests running (AWS refused or was busy): each quiet round waits this much longer


@dataclass(frozen=True)
class PollSchedule:
    """How the pipeline paces its checks: list rounds `growth` of the oldest unexplained request's age apart, never
    less than `floor` nor more than `cap`; status calls at `rate` a second at most, with bursts of `burst`."""

    floor: float = 1 / STATUS_CALLS_PER_SECOND
    growth: float = 0.04
    cap: float = 30.0
    rate: float = STATUS_CALLS_PER_SECOND
    burst: int = STATUS_CALL_BURST

    def scaled(self, factor: float) -> PollSchedule:
        """The same schedule for creations `factor` times as long (the sandbox's short creations play AWS's)."""
        return replace(self, floor=self.floor * factor, cap=self.cap * factor, rate=self.rate / factor)


def aws_duration(status: dict[str, Any]) -> float | None:
    """How long AWS took over a finished request, from its own timestamps (None when one is missing)."""
    requested, completed = status.get("RequestedTimestamp"), status.get("CompletedTimestamp")
    if not isinstance(requested, datetime) or not isinstance(completed, datetime):
        return None
    return max(0.0, (completed - requested).total_seconds())


class Cadence:
    """The creation times seen so far, and when the next check is due."""

    def __init__(self, schedule: PollSchedule) -> None:
        self.schedule = schedule
        self.durations: list[float] = []

    def observe(self, status: dict[str, Any], waited: float | None) -> None:
        """A request SUCCEEDED: learn its duration from AWS's timestamps, else from `waited`, how long we saw it run."""
        duration = aws_duration(status)
        if duration is None:
            duration = waited
        if duration is not None:
            self.durations.append(duration)

    def estimate(self) -> float | None:
        """The creation time expected of a request (the median seen), None before any has ended."""
        return statistics.median(self.durations) if self.durations else None

    def next_check(self, flying: Sequence[tuple[float, bool]], last_list: float, quiet: int) -> tuple[float, int | None]:
        """When to look next, and at what: the index of the request to describe, or None for a list round.

        `flying` holds each request's submission time and whether it was already described at its expected end;
        `last_list` is the last list round's time, `quiet` the rounds since anything ended or was submitted."""
        s = self.schedule
        if not flying:  # nothing of ours running: back off while AWS keeps refusing or stays busy
            return last_list + min(s.cap, s.floor * IDLE_BACKOFF**quiet), None
        estimate = self.estimate()
        expected = [(start + estimate, i) for i, (start, checked) in enumerate(flying) if estimate is not None and not checked]
        oldest = min(start for start, checked in flying if estimate is None or checked) if len(expected) < len(flying) else None
        listing = last_list + min(s.cap, max(s.floor, s.growth * (last_list - oldest))) if oldest is not None else math.inf
        due, index = min(expected, default=(math.inf, -1))
        return (due, index) if due <= listing else (listing, None)
