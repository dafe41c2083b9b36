"""CreateAccount as a pipeline: up to AWS's limit of requests in flight, each looked at when it should end, slots
refilled at once.

AWS runs at most five CreateAccount requests per organization at a time and answers a sixth with
ConstraintViolationException(ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED) ("You attempted to exceed the number of accounts
that can be in progress at a time", botocore's ConstraintViolationException documentation). Each request takes
minutes, so accounts are created in waves of five: the makespan for N accounts is about ceil(N/5) creation times.

The same reason once read "You attempted to exceed the number of accounts that you can create in one day", and
AWS's daily creation quota is not documented apart from it, so the pipeline tells the two apart by what is running:
refused while requests are IN_PROGRESS (ours or anyone's), it waits a round for a slot; refused with none running
in two rounds in a row (once may be another operator's requests ending between the refusal and the list), the
day's quota is spent and it stops, saying when to come back. ConcurrentModificationException ("Try again
later") and throttling wait a round without that conclusion.

Every request answers IN_PROGRESS (AWS performs it "in the background"); the submission is journaled with that
state. Each round comes when the cadence (`cadence`) says, from the creation times seen: a
DescribeCreateAccountStatus of the request expected to have ended, or, while nothing is expected (before the first
end, or for a request found running past its expected end), one ListCreateAccountStatus(IN_PROGRESS) whose missing
requests are then described. A slot is refilled as soon as its request is known to have ended; placing the account
and journaling it wait until no check is due. A request AWS reports as FAILED is journaled with a remedy and the
other accounts carry on. Time comes from `now` and passes through `sleep`, both injectable (tests/creationsim.py
runs the pipeline on a virtual clock).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orgnb.aws.capacity import CREATE_ACCOUNT_IN_FLIGHT, not_before
from orgnb.aws.pacing import TokenBucket
from orgnb.aws.session import AwsContext
from orgnb.engine.apply import StepLog, error_text
from orgnb.engine.plan import Step
from orgnb.phases.account_creation.cadence import Cadence, PollSchedule
from orgnb.phases.account_creation.progress import Progress
from orgnb.remedies import create_account_remedy


@dataclass
class Creation:
    """One account on its way through the pipeline; `started` is when its request was submitted (or adopted)."""

    step: Step
    started: float
    request_id: str = ""
    adopted: bool = False
    checked: bool = False  # described once at its expected end (after that, list rounds watch it)


OnCreated = Callable[[Step, str], dict[str, Any]]  # (step, new account id) -> extra result fields (e.g. the OU it was moved to)
IDLE_REFUSALS_FOR_QUOTA = 2  # rounds refused with nothing running before the day's quota is taken as spent
MAX_UNCERTAIN = 5  # CreateAccount calls without an answer before a step is given up (the next run reconciles it)
_SLOT_REASONS = {"ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED"}
# AWS did not take the request and says nothing about slots or the quota: send it again next round
_BUSY = {"TooManyRequestsException", "ThrottlingException", "Throttling", "ConcurrentModificationException"}
DAY = timedelta(days=1)


def daily_quota_remedy(first_today: datetime | None) -> str:
    """What to do when the day's creation quota is spent; `first_today` is the earliest request of the last 24 hours."""
    when = ""
    if first_today is not None:
        ready = not_before(first_today + DAY)
        when = f"after {ready:%Y-%m-%d %H:%M} UTC, a day after the first of the last day's requests"
    return (
        "AWS refuses new CreateAccount requests and none is running: the organization reached its daily account-creation "
        f"quota. Run the phase again tomorrow{f' ({when})' if when else ''}, or ask AWS Support to raise the quota"
    )


@dataclass
class Pipeline:
    """Creates the accounts of CreateAccount steps, `max_in_flight` at a time.

    Before a step is submitted it is reconciled with AWS: an account with its email that exists by now is placed
    and the step is done; a request for its name still IN_PROGRESS is adopted. CreateAccount has no idempotency
    token, so it is sent once (no SDK retry); when its answer is lost the step is reconciled again before any
    new submission. A request IN_PROGRESS longer than `give_up_seconds` is left for the next run to adopt.
    """

    ctx: AwsContext
    log: StepLog
    on_created: OnCreated
    progress: Progress
    max_in_flight: int = CREATE_ACCOUNT_IN_FLIGHT
    poll: PollSchedule = field(default_factory=PollSchedule)
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.monotonic
    give_up_seconds: float = 3600.0
    _queue: deque[Step] = field(default_factory=deque, init=False)
    _flying: dict[str, Creation] = field(default_factory=dict, init=False)
    _leaving: dict[str, Creation] = field(default_factory=dict, init=False)  # left the IN_PROGRESS list, not described yet
    _ended: deque[tuple[Creation, dict[str, Any]]] = field(default_factory=deque, init=False)  # ended, to finish (place)
    _adopted: set[str] = field(default_factory=set, init=False)
    _emails: dict[str, str] = field(default_factory=dict, init=False)
    _running: dict[str, str] = field(default_factory=dict, init=False)
    _uncertain: dict[str, int] = field(default_factory=dict, init=False)
    _cadence: Cadence = field(init=False)
    _budget: TokenBucket = field(init=False)
    _last_list: float = field(default=0.0, init=False)
    _quiet: int = field(default=0, init=False)  # rounds in a row in which nothing ended and nothing was submitted
    _submitted: int = field(default=0, init=False)
    _finishing: float = field(default=0.0, init=False)  # how long finishing the last ended request took (placing it)

    def __post_init__(self) -> None:
        self._cadence = Cadence(self.poll)
        self._budget = TokenBucket(self.poll.rate, self.poll.burst, clock=self.now, sleep=self.sleep)

    @property
    def orgs(self) -> Any:
        """The Organizations client (with the SDK's retries, for reads)."""
        return self.ctx.client("organizations")

    def run(self, steps: Sequence[Step]) -> None:
        """Submit, poll and finish every step; returns when each has succeeded or failed (or was left to adopt)."""
        self._queue = deque(steps)
        self._adopted = {str(s.params["AdoptRequestId"]) for s in steps if s.params.get("AdoptRequestId")}
        self._last_list = self.now()
        idle_refusals = 0  # rounds in a row refused with no request running anywhere
        try:
            self._refresh()
            while True:
                refused = self._fill()
                if not (self._queue or self._flying):
                    if not self._ended:
                        return
                    self._finished(*self._ended[0])  # finishing one may adopt a request: look again
                    self._ended.popleft()  # only once finished: an interrupt before then journals it as failed
                    continue
                idle = refused and not self._flying and not self._refresh()
                idle_refusals = idle_refusals + 1 if idle else 0
                # once could be another operator's requests ending between the refusal and the list: twice is the quota
                if idle_refusals >= IDLE_REFUSALS_FOR_QUOTA:
                    self._fail_queue(f"ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED: {daily_quota_remedy(self._first_today())}")
                    return
                submitted = self._submitted
                ended = self._round()
                self._give_up_on_stuck()
                self._quiet = 0 if ended or self._submitted > submitted else self._quiet + 1
                self.log.heartbeat()  # a batch can outlast the lease: renew it while waiting
        except BaseException as exc:  # interrupted (kernel stop, lost connection): no step is left at a bare "begin"
            self._interrupted(error_text(exc))
            raise
        finally:
            self.progress.close()

    def _interrupted(self, why: str) -> None:
        """Journal every step still under way as failed, saying what the next run does about it."""
        for creation in [*self._flying.values(), *self._leaving.values()]:
            self.log.failed(creation.step, f"interrupted while request {creation.request_id} was running ({why}): the next run adopts it")
        for creation, status in self._ended:
            self.log.failed(
                creation.step,
                f"interrupted after request {creation.request_id} ended {status['State']} ({why}): "
                "the next run finds the account by its email",
            )

    def _status_call(self) -> None:
        """Before each status call: wait for the budget (at most five IN_PROGRESS requests list in one page)."""
        self._budget.acquire()

    def _next_check(self) -> tuple[float, Creation | None]:
        """When the cadence's next check is due, and the request to describe then (None: a list round)."""
        flying = list(self._flying.values())
        at, index = self._cadence.next_check([(c.started, c.checked) for c in flying], self._last_list, self._quiet)
        return at, None if index is None else flying[index]

    def _round(self) -> bool:
        """Finish ended requests until the next check is due, then make it; True when a request ended. A slot is
        refilled as soon as it is known to be free; placing and journaling the request that freed it waits for idle time."""
        at, creation = self._next_check()
        while self._ended and self.now() + self._finishing <= at:  # time enough to finish one before the check
            began = self.now()
            self._finished(*self._ended[0])
            self._ended.popleft()  # only once finished: an interrupt before then journals it as failed
            self._finishing = self.now() - began
            at, creation = self._next_check()  # finishing one may adopt a request
        pause = at - self.now()
        if pause > 0:
            self.sleep(pause)
        if creation is None:  # a list round: every request that left the IN_PROGRESS list is described
            self._poll()
            self._fill()
            return bool([leaving for leaving in list(self._leaving.values()) if self._conclude(leaving)])
        creation.checked = True  # expected to have ended: asked about alone
        status = self._describe(creation)
        if status is None or status["State"] == "IN_PROGRESS":
            return False
        self._end(self._flying.pop(creation.request_id), status)
        self._fill()
        return True

    def _running_requests(self) -> list[dict[str, Any]]:
        """The organization's IN_PROGRESS requests (one paced status call, whose time is the last list round's)."""
        self._status_call()
        self._last_list = self.now()
        pages = self.orgs.get_paginator("list_create_account_status").paginate(States=["IN_PROGRESS"])
        return [s for page in pages for s in page["CreateAccountStatuses"]]

    def _refresh(self) -> int:
        """Re-read accounts by email and running requests by name; how many requests are running."""
        self._emails = {
            a["Email"].lower(): a["Id"] for page in self.orgs.get_paginator("list_accounts").paginate() for a in page["Accounts"]
        }
        self._running = {s["AccountName"]: s["Id"] for s in self._running_requests()}
        return len(self._running)

    def _first_today(self) -> datetime | None:
        """When the earliest CreateAccount request of the last 24 hours was made (None if it cannot be read)."""
        try:
            self._status_call()
            pages = self.orgs.get_paginator("list_create_account_status").paginate()
            since = datetime.now(UTC) - DAY
            times = [s["RequestedTimestamp"] for page in pages for s in page["CreateAccountStatuses"] if s["RequestedTimestamp"] > since]
        except (ClientError, BotoCoreError):
            return None
        return min(times).astimezone(UTC) if times else None

    def _reconcile(self, step: Step, begun: bool = False) -> bool:
        """Finish or adopt the step from what AWS already has; False when it must be submitted."""
        name = step.params["AccountName"]
        existing = self._emails.get(str(step.params["Email"]).lower())
        if existing:
            if not begun:
                self.log.begin(step)
            self._place(Creation(step, self.now()), existing, note="exists already")
            return True
        request = step.params.get("AdoptRequestId") or self._running.get(name)
        if request and (request not in self._adopted or step.params.get("AdoptRequestId") == request):
            self._adopted.add(str(request))
            if not begun:
                self.log.begin(step)
            self.log.progress(step, "adopted", request_id=request)
            self.progress.say(f"{name}: adopted request {request}, already in progress")
            self._flying[str(request)] = Creation(step, self.now(), str(request), adopted=True)
            return True
        return False

    def _fill(self) -> bool:
        """Submit while slots are free; True when AWS said it has none."""
        while self._queue and len(self._flying) < self.max_in_flight:
            step = self._queue.popleft()
            if self._reconcile(step):
                continue
            outcome = self._submit(step)
            if outcome == "deferred":  # no free slot: with none of ours running, the daily quota is spent
                self._queue.appendleft(step)
                return True
            if outcome == "throttled":  # a busy API says nothing about slots or the quota: wait a round
                self._queue.appendleft(step)
                return False
            if outcome == "uncertain":  # look again after a wait: reconciled (adopted or found) or submitted anew
                self._uncertain[step.id] = self._uncertain.get(step.id, 0) + 1
                if self._uncertain[step.id] >= MAX_UNCERTAIN:
                    self._fail(step, f"CreateAccount failed {MAX_UNCERTAIN} times without an answer: run the phase again later")
                    continue
                self._queue.appendleft(step)
                self._refresh()
                return False
        return False

    def _submit(self, step: Step) -> str:
        self.log.begin(step)
        name = step.params["AccountName"]
        kwargs = {k: v for k, v in step.params.items() if k in ("Email", "AccountName", "RoleName", "IamUserAccessToBilling", "Tags")}
        try:
            status = self.ctx.client("organizations", single_attempt=True).create_account(**kwargs)["CreateAccountStatus"]
            answered = self.now()  # AWS's RequestedTimestamp is a little before: an end expected from here is not early
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            reason = str(exc.response.get("Reason", ""))
            if code in _BUSY:  # AWS did not take the request: send it again next round
                self.log.progress(step, "deferred", error=error_text(exc))
                return "throttled"
            if reason in _SLOT_REASONS:
                self.log.progress(step, "deferred", error=error_text(exc))
                return "deferred"
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400) >= 500:
                self.log.progress(step, "deferred", error=f"{error_text(exc)}; checking whether AWS made the request anyway")
                return "uncertain"
            fix = create_account_remedy("ACCOUNT_LIMIT_EXCEEDED" if reason == "ACCOUNT_NUMBER_LIMIT_EXCEEDED" else reason)
            self.log.failed(step, f"{error_text(exc)}: {fix}")
            self.progress.finish_one(f"{name}: refused: {error_text(exc)}. Remedy: {fix}")
            return "refused"
        except BotoCoreError as exc:  # no answer: the request may or may not exist
            self.log.progress(step, "deferred", error=f"{error_text(exc)}; checking whether AWS made the request anyway")
            return "uncertain"
        self.log.progress(step, "submitted", request_id=status["Id"], state=status["State"])
        self.progress.say(f"{name}: request {status['Id']} submitted, {status['State']}")
        creation = Creation(step, answered, status["Id"])
        self._submitted += 1
        if status["State"] == "IN_PROGRESS":
            self._flying[status["Id"]] = creation
        else:
            self._finished(creation, status)
        return "submitted"

    def _poll(self) -> None:
        """One round: the requests submitted before it that have left the IN_PROGRESS list leave flight (their slots free)."""
        try:
            running = {s["Id"] for s in self._running_requests()}
        except (ClientError, BotoCoreError) as exc:  # the SDK's retries are spent: try again next round
            self.progress.say(f"polling failed ({error_text(exc)}); trying again")
            return
        left = [rid for rid, creation in self._flying.items() if rid not in running and creation.started <= self._last_list]
        self._leaving.update((rid, self._flying.pop(rid)) for rid in left)

    def _describe(self, creation: Creation) -> dict[str, Any] | None:
        """The request's status (one paced call); None when it cannot be read (the SDK's retries are spent)."""
        try:
            self._status_call()
            return dict(self.orgs.describe_create_account_status(CreateAccountRequestId=creation.request_id)["CreateAccountStatus"])
        except (ClientError, BotoCoreError) as exc:
            self.progress.say(f"reading request {creation.request_id} failed ({error_text(exc)}); trying again")
            return None

    def _conclude(self, creation: Creation) -> bool:
        """Describe a request that left the list and finish it; False when it is still running (back in flight)."""
        status = self._describe(creation)
        del self._leaving[creation.request_id]
        if status is None or status["State"] == "IN_PROGRESS":  # unread, or not listed yet (eventual consistency)
            self._flying[creation.request_id] = creation
            return False
        self._end(creation, status)
        return True

    def _end(self, creation: Creation, status: dict[str, Any]) -> None:
        """A request ended: learn its duration if it SUCCEEDED; its step is finished when no check is due."""
        if status["State"] == "SUCCEEDED":  # an adopted request's wait says nothing: it started before this run
            self._cadence.observe(status, None if creation.adopted else self.now() - creation.started)
        self._ended.append((creation, status))

    def _finished(self, creation: Creation, status: dict[str, Any]) -> None:
        step = creation.step
        if status["State"] == "SUCCEEDED":
            account_id = status["AccountId"]
            if creation.adopted:
                email = self.orgs.describe_account(AccountId=account_id)["Account"]["Email"]
                if email.lower() != str(step.params["Email"]).lower():
                    self._fail(
                        step,
                        f"adopted request {creation.request_id} created {account_id} for {email}, not for this account: "
                        "run the phase again to create it",
                    )
                    return
            self._place(creation, account_id)
            return
        reason = str(status.get("FailureReason", "UNKNOWN"))
        if reason in ("CONCURRENT_ACCOUNT_MODIFICATION", "EMAIL_ALREADY_EXISTS"):
            self._refresh()  # the same request may have gone through before (an answer lost on the way back)
            if self._reconcile(step, begun=True):
                return
        self._fail(step, f"{reason}: {create_account_remedy(reason)}", f"FAILED {reason}. Remedy: {create_account_remedy(reason)}")

    def _place(self, creation: Creation, account_id: str, note: str = "created") -> None:
        step = creation.step
        name = step.params["AccountName"]
        try:
            extra = self.on_created(step, account_id)
        except Exception as exc:  # the account exists: a re-run plans what is left (e.g. the move)
            self._fail(
                step,
                f"{note} {account_id}, then {error_text(exc)}",
                f"{note} {account_id}, but placing it failed: {error_text(exc)}; run the phase again",
            )
            return
        seconds = round(self.now() - creation.started, 1)
        self.log.done(step, {"request_id": creation.request_id, "account_id": account_id, **extra})
        where = f" in {extra['ou']}" if extra.get("ou") else ""
        self.progress.finish_one(f"{name}: {note} {account_id}{where} ({seconds} s)")

    def _fail(self, step: Step, error: str, shown: str = "") -> None:
        self.log.failed(step, error)
        self.progress.finish_one(f"{step.params['AccountName']}: {shown or error}")

    def _fail_queue(self, error: str) -> None:
        while self._queue:
            step = self._queue.popleft()
            self.log.begin(step)
            self._fail(step, error)

    def _give_up_on_stuck(self) -> None:
        for rid, creation in list(self._flying.items()):
            if self.now() - creation.started > self.give_up_seconds:
                del self._flying[rid]
                minutes = round(self.give_up_seconds / 60)
                self._fail(creation.step, f"request {rid} still IN_PROGRESS after {minutes} min: run the phase again later, it adopts it")
