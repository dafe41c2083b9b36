"""The creation pipeline on a virtual clock: the real `Pipeline` against a fake Organizations that finishes every
CreateAccount request `seconds` after it was made, five at a time at most, each call taking `latency` seconds.

Used by tests/test_creation_cadence.py (outcomes) and by tests/bench.py (`creation_sim_*`, T of 20 s to 3 min, as
AWS takes, in milliseconds of real time). The fake answers only what the pipeline asks: the lists (accounts,
requests), CreateAccount and DescribeCreateAccountStatus, in the shapes botocore parses them into. Placing an
account (phase 04 moves it to its OU: ListParents, MoveAccount) costs two calls' latency.

The makespan runs from the first CreateAccount call to the moment the pipeline has seen the last request end (the
answer of the status call that first showed it ended): the span the ideal, ceil(N/5)·T, describes. The run's
reads before the first request and the describing and placing after the last end are in `run_seconds`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from orgnb.aws.capacity import CREATE_ACCOUNT_IN_FLIGHT
from orgnb.engine.apply import ApplyResult
from orgnb.engine.plan import Action, Step
from orgnb.phases.account_creation.cadence import PollSchedule
from orgnb.phases.account_creation.pipeline import Pipeline
from orgnb.phases.account_creation.progress import Progress

LATENCY = 0.1  # seconds per Organizations call: its endpoint is in us-east-1, a round trip from elsewhere takes about this
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # virtual time 0 as AWS's clock shows it
STATUS_OPERATIONS = ("ListCreateAccountStatus", "DescribeCreateAccountStatus")


class VirtualClock:
    """Seconds since the start; `sleep` moves time on at once."""

    def __init__(self) -> None:
        self.time = 0.0

    def now(self) -> float:
        """The current virtual time."""
        return self.time

    def sleep(self, seconds: float) -> None:
        """Let `seconds` pass."""
        self.time += max(0.0, seconds)


@dataclass
class Request:
    """One CreateAccount request in the fake."""

    id: str
    name: str
    email: str
    requested: float
    seconds: float
    account_id: str

    def state(self, now: float) -> str:
        """IN_PROGRESS until its time has come, then SUCCEEDED."""
        return "SUCCEEDED" if now >= self.requested + self.seconds else "IN_PROGRESS"

    def status(self, now: float) -> dict[str, Any]:
        """The CreateAccountStatus shape, timestamps as botocore parses them."""
        state = self.state(now)
        out: dict[str, Any] = {
            "Id": self.id,
            "AccountName": self.name,
            "State": state,
            "RequestedTimestamp": EPOCH + timedelta(seconds=self.requested),
        }
        if state == "SUCCEEDED":
            out["CompletedTimestamp"] = EPOCH + timedelta(seconds=self.requested + self.seconds)
            out["AccountId"] = self.account_id
        return out


class _Paginator:
    def __init__(self, pages: Callable[..., list[dict[str, Any]]]) -> None:
        self.pages = pages

    def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        yield from self.pages(**kwargs)


class FakeOrganizations:
    """The calls the pipeline makes, answered on the virtual clock; every call is counted and timed."""

    def __init__(self, clock: VirtualClock, seconds: Callable[[int], float], latency: float = LATENCY) -> None:
        self.clock = clock
        self.seconds = seconds  # the creation time of the n-th request
        self.latency = latency
        self.requests: dict[str, Request] = {}
        self.calls: list[tuple[str, float]] = []  # (operation, virtual time)
        self.most_in_flight = 0
        self.seen_ended: dict[str, float] = {}  # request id: when an answer first showed it ended

    def _call(self, operation: str) -> float:
        """Count the call; the moment AWS handles it (then its answer takes `latency` to arrive)."""
        moment = self.clock.now()
        self.calls.append((operation, moment))
        self.clock.sleep(self.latency)
        return moment

    def _shown(self, statuses: list[dict[str, Any]], now: float) -> None:
        """The answer that reaches the caller at `now` + latency shows these requests ended."""
        for status in statuses:
            if status["State"] != "IN_PROGRESS":
                self.seen_ended.setdefault(status["Id"], now + self.latency)

    def _in_flight(self, now: float) -> int:
        return sum(1 for r in self.requests.values() if r.state(now) == "IN_PROGRESS")

    def create_account(self, **kwargs: Any) -> dict[str, Any]:
        """IN_PROGRESS, or ConstraintViolationException beyond five in flight."""
        now = self._call("CreateAccount")
        if self._in_flight(now) >= CREATE_ACCOUNT_IN_FLIGHT:
            error = {
                "Error": {"Code": "ConstraintViolationException", "Message": "in progress"},
                "Reason": "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED",
            }
            raise ClientError(error, "CreateAccount")
        n = len(self.requests)
        request = Request(f"car-{n:012d}", kwargs["AccountName"], kwargs["Email"], now, self.seconds(n), f"{200000000000 + n}")
        self.requests[request.id] = request
        self.most_in_flight = max(self.most_in_flight, self._in_flight(now))
        return {"CreateAccountStatus": request.status(now)}

    def describe_create_account_status(self, CreateAccountRequestId: str) -> dict[str, Any]:  # noqa: N803 - AWS's name
        """One request's status."""
        now = self._call("DescribeCreateAccountStatus")
        status = self.requests[CreateAccountRequestId].status(now)
        self._shown([status], now)
        return {"CreateAccountStatus": status}

    def _statuses(self, States: list[str] | None = None) -> list[dict[str, Any]]:  # noqa: N803 - AWS's name
        now = self._call("ListCreateAccountStatus")
        found = [r.status(now) for r in self.requests.values()]
        self._shown(found, now)  # listed as ended, or (IN_PROGRESS asked) missing from the list
        return [{"CreateAccountStatuses": [s for s in found if not States or s["State"] in States]}]

    def _accounts(self) -> list[dict[str, Any]]:
        now = self._call("ListAccounts")
        done = [r for r in self.requests.values() if r.state(now) == "SUCCEEDED"]
        return [{"Accounts": [{"Id": r.account_id, "Email": r.email} for r in done]}]

    def get_paginator(self, operation: str) -> _Paginator:
        """The two lists the pipeline pages through."""
        return _Paginator({"list_create_account_status": self._statuses, "list_accounts": self._accounts}[operation])

    def first_request(self) -> float:
        """When the first CreateAccount call was made."""
        return min(moment for operation, moment in self.calls if operation == "CreateAccount")

    def status_calls(self) -> list[float]:
        """When each status call (ListCreateAccountStatus, DescribeCreateAccountStatus) was made."""
        return [moment for operation, moment in self.calls if operation in STATUS_OPERATIONS]


class FakeContext:
    """Stands for AwsContext: every client is the fake."""

    def __init__(self, orgs: FakeOrganizations) -> None:
        self.orgs = orgs

    def client(self, service: str, region: str | None = None, single_attempt: bool = False, adaptive: bool = False) -> FakeOrganizations:
        """The fake Organizations client."""
        return self.orgs


@dataclass
class RecordingLog:
    """Stands for StepLog: what the pipeline reports, kept in memory."""

    result: ApplyResult = field(default_factory=lambda: ApplyResult("sim"))
    events: Counter[str] = field(default_factory=Counter)
    headless: bool = True

    def heartbeat(self) -> None:
        """Nothing to renew."""

    def begin(self, step: Step) -> None:
        """Counted."""
        self.events["begin"] += 1

    def progress(self, step: Step, event: str, **fields: Any) -> None:
        """Counted."""
        self.events[event] += 1

    def done(self, step: Step, outcome: Any) -> None:
        """The step is applied."""
        self.result.applied.append(step.id)

    def failed(self, step: Step, error: str) -> None:
        """The step failed."""
        self.result.failed[step.id] = error


class SilentProgress(Progress):
    """No lines printed (a simulation makes thousands)."""

    def __init__(self, total: int) -> None:
        super().__init__(total, headless=True)

    def say(self, message: str) -> None:
        """Dropped."""


@dataclass(frozen=True)
class Simulation:
    """What one simulated run did."""

    accounts: int
    seconds: float
    makespan: float
    run_seconds: float
    applied: int
    failed: int
    status_calls: list[float]
    most_in_flight: int

    @property
    def ideal(self) -> float:
        """ceil(N/5) creation times: five in flight all the time, each refilled the moment it ends."""
        return math.ceil(self.accounts / CREATE_ACCOUNT_IN_FLIGHT) * self.seconds

    @property
    def ratio(self) -> float:
        """The makespan over the ideal."""
        return self.makespan / self.ideal

    @property
    def calls_per_account(self) -> float:
        """Status calls per account created."""
        return len(self.status_calls) / self.accounts


def creation_steps(count: int) -> list[Step]:
    """CreateAccount steps as phase 04 plans them."""
    steps = []
    for i in range(count):
        email = f"aws+sim-{i:04d}@example.com"
        params = {"AccountName": f"Sim {i:04d}", "Email": email, "Path": "Sim"}
        steps.append(Step(f"create-account:{email}", Action.CREATE_ACCOUNT, email, f"create Sim {i:04d}", params))
    return steps


def simulate(
    count: int, seconds: float | Callable[[int], float], schedule: PollSchedule | None = None, latency: float = LATENCY
) -> Simulation:
    """Create `count` accounts taking `seconds` each (or `seconds(n)` for the n-th request) through the real Pipeline."""
    clock = VirtualClock()
    duration = seconds if callable(seconds) else (lambda _: float(seconds))
    orgs = FakeOrganizations(clock, duration, latency)
    log = RecordingLog()

    def place(step: Step, account_id: str) -> dict[str, Any]:
        clock.sleep(2 * latency)  # the move to its OU: ListParents, then MoveAccount
        return {"ou": step.params["Path"]}

    pipeline = Pipeline(
        FakeContext(orgs),  # type: ignore[arg-type]
        log,  # type: ignore[arg-type]
        place,
        SilentProgress(count),
        poll=schedule or PollSchedule(),
        sleep=clock.sleep,
        now=clock.now,
    )
    pipeline.run(creation_steps(count))
    nominal = seconds if not callable(seconds) else sum(duration(n) for n in range(count)) / count
    makespan = max(orgs.seen_ended.values()) - orgs.first_request()
    applied, failed = len(log.result.applied), len(log.result.failed)
    return Simulation(count, nominal, makespan, clock.now(), applied, failed, orgs.status_calls(), orgs.most_in_flight)


def within_rate(moments: list[float], rate: float, burst: int) -> bool:
    """Whether calls at `moments` fit a token bucket of `burst` refilled at `rate` a second (as AWS throttles)."""
    tokens, last = float(burst), 0.0
    for moment in sorted(moments):
        tokens = min(float(burst), tokens + (moment - last) * rate) - 1.0
        last = moment
        if tokens < -1e-9:
            return False
    return True
