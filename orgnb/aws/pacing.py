"""Client-side pacing: a thread-safe token bucket that keeps a concurrent reader within a request rate.

AWS throttles an account's requests with token buckets: the quota pages that publish them give a rate and a burst
("10 per second, burst to 15": the Account Management reference guide's quotas page). A reader that sends no
faster than such a bucket refills is never throttled by its own concurrency, and waits a slot instead of backing
off after a TooManyRequestsException (botocore's standard retry sleeps up to a second on the first throttle alone).

`acquire` reserves the next free slot under a lock and sleeps outside it, so threads share the rate in the order
they asked. The clock and the sleep are arguments, so the arithmetic is tested on a virtual clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# AWS publishes no request rate for Organizations: its quotas page
# (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html) lists entity limits, and
# throttling shows only as TooManyRequestsException (botocore's organizations model: too many requests in too short
# a period). 20 calls a second is therefore a conservative figure chosen here, not AWS's. It is the collective rate
# AWS does publish for a comparable organization-wide control plane, the account access API of IAM Identity Center
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/aam-quotas.html). Walking 1,000 accounts in 50 OUs (105 calls)
# takes about 4 s at this rate; `organization.organizations_calls_per_second` in the parameters raises or lowers it.
ORGANIZATIONS_CALLS_PER_SECOND = 20.0
# A paced reader's bucket holds at most a second of calls, and at most PACING_BURST. AWS's published buckets hold at
# least a second of their rate (on Account Management's quotas page, "burst to" is never below the rate), so a reader pacing at a
# bucket's own rate bursts no more than that bucket holds. Twenty calls let the whole walk of a small estate (up to
# nine OUs, two calls a container) go at once, and leave a faster bucket slack for calls that reach AWS late.
PACING_BURST = 20.0


class TokenBucket:
    """`rate` tokens a second, holding at most `burst`; a call takes one, waiting for it when none is left."""

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"a token bucket's rate must be positive, not {rate}")
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._at = clock()

    @classmethod
    def pacing(cls, calls_per_second: float) -> TokenBucket:
        """A bucket for a reader that sends at most `calls_per_second` (its burst: a second of calls, PACING_BURST at most)."""
        return cls(calls_per_second, min(calls_per_second, PACING_BURST))

    def _refill(self) -> float:
        """Add the tokens earned since the last look (callers hold the lock); the clock's reading."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        return now

    def acquire(self) -> float:
        """Take a token, sleeping until it is due when none is left; the clock's reading the caller may send at."""
        with self._lock:
            now = self._refill()
            self._tokens -= 1.0  # below zero: a slot reserved in the future, so the next caller queues behind it
            wait = max(0.0, -self._tokens / self.rate)
        if wait:
            self._sleep(wait)
        return now + wait

    def try_take(self) -> bool:
        """Take a token if one is there now, without waiting (what a server's throttle does)."""
        with self._lock:
            self._refill()
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False
