"""CreateAccount as a pipeline: up to AWS's limit of requests in flight, polled with backoff, slots refilled at once.

AWS runs at most five CreateAccount requests per organization at a time and answers a sixth with
ConstraintViolationException(ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED). Each request takes minutes, so accounts are
created in waves of five: the makespan for N accounts is about ceil(N/5) creation times, not N.

One poll round is one ListCreateAccountStatus(IN_PROGRESS) call; a request that has left that list is described
once to learn how it ended. The wait between rounds starts short, grows while nothing changes and resets when
something finishes. A request AWS reports as FAILED is journaled with a remedy and the other accounts carry on.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from tqdm.auto import tqdm

from orgnb.apply import StepLog, error_text
from orgnb.plan import Step
from orgnb.session import AwsContext

MAX_IN_FLIGHT = 5  # AWS's limit on CreateAccount requests in progress per organization
REFUSED = "REFUSED"  # not an AWS state: CreateAccount itself answered with an error (already journaled)

# Every FailureReason botocore's model knows, with what the operator should do (a test keeps the list complete).
REMEDIES: dict[str, str] = {
    "EMAIL_ALREADY_EXISTS": "another AWS account already uses this root email: choose another slug or email in the parameters, "
    "or bring that account in through invites/migrations instead of creating it",
    "ACCOUNT_LIMIT_EXCEEDED": "the organization is at its account quota: ask for a higher 'Default maximum number of accounts' "
    "(Service Quotas, AWS Organizations, us-east-1) or close unused accounts, then run the phase again",
    "CONCURRENT_ACCOUNT_MODIFICATION": "a request with the same details was already running: run the phase again once it has finished "
    "(a request still in progress is adopted, not repeated)",
    "INVALID_EMAIL": "AWS rejected the root email: check it against the CreateAccount email rules, fix the parameters, run again",
    "INVALID_ADDRESS": "AWS rejected the management account's address: correct it in the console (Account, Contact information), run again",
    "INTERNAL_FAILURE": "AWS failed on its side: run the phase again later; if it fails again, open a support case with the request id",
    "GOVCLOUD_ACCOUNT_ALREADY_EXISTS": "a GovCloud account is already linked to this request's details: resolve it with AWS Support",
    "MISSING_BUSINESS_VALIDATION": "AWS must validate the management account's business details first: complete the validation "
    "in the console (or with AWS Support), then run again",
    "FAILED_BUSINESS_VALIDATION": "AWS could not validate the management account's business details: contact AWS Support, then run again",
    "PENDING_BUSINESS_VALIDATION": "AWS is still validating the management account's business details: wait for it, then run again",
    "INVALID_IDENTITY_FOR_BUSINESS_VALIDATION": "the identity documents for business validation were not accepted: update them "
    "in the console, then run again",
    "UNKNOWN_BUSINESS_VALIDATION": "business validation failed for an unknown reason: contact AWS Support, then run again",
    "MISSING_PAYMENT_INSTRUMENT": "the management account has no valid payment method: add one in the Billing console, run again",
    "INVALID_PAYMENT_INSTRUMENT": "the management account's payment method was declined: update it in the Billing console, run again",
    "UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED": "tags cannot be set on this request: remove the account's tags from "
    "the parameters (add them after creation), run again",
}


def remedy(reason: str) -> str:
    """What to do about a CreateAccount FailureReason."""
    return REMEDIES.get(reason, "look the reason up in the CreateAccountStatus documentation, fix the cause, then run the phase again")


@dataclass(frozen=True)
class PollSchedule:
    """How long to wait between poll rounds: `first`, times `factor` while nothing changes, at most `cap` seconds."""

    first: float = 5.0
    factor: float = 1.5
    cap: float = 30.0

    def next(self, delay: float, changed: bool) -> float:
        """The wait before the next round."""
        return self.first if changed else min(self.cap, delay * self.factor)


@dataclass
class Creation:
    """One account on its way through the pipeline."""

    step: Step
    request_id: str = ""
    started: float = field(default_factory=time.monotonic)


class Progress:
    """A tqdm bar in JupyterLab; plain log lines when headless (a saved record cannot show a live widget)."""

    def __init__(self, total: int, headless: bool) -> None:
        self.total = total
        self.finished = 0
        self.bar = None if headless else tqdm(total=total, desc="accounts", unit="account")

    def say(self, message: str) -> None:
        """One line of progress."""
        if self.bar is None:
            print(f"[{self.finished}/{self.total}] {message}", flush=True)
        else:
            self.bar.write(message)

    def finish_one(self, message: str) -> None:
        """An account is done (created or failed)."""
        self.finished += 1
        if self.bar is not None:
            self.bar.update(1)
        self.say(message)

    def close(self) -> None:
        """Close the bar."""
        if self.bar is not None:
            self.bar.close()


OnCreated = Callable[[Step, str], dict[str, Any]]  # (step, new account id) -> extra result fields (e.g. the OU it was moved to)


@dataclass
class Pipeline:
    """Creates the accounts of CreateAccount steps, `max_in_flight` at a time."""

    ctx: AwsContext
    log: StepLog
    on_created: OnCreated
    progress: Progress
    max_in_flight: int = MAX_IN_FLIGHT
    poll: PollSchedule = field(default_factory=PollSchedule)
    sleep: Callable[[float], None] = time.sleep

    def run(self, steps: Sequence[Step]) -> None:
        """Submit, poll and finish every step; returns when each has succeeded or failed."""
        queue: deque[Step] = deque(steps)
        flying: dict[str, Creation] = {}
        delay = self.poll.first
        try:
            while True:
                self._fill(queue, flying)
                if not (queue or flying):
                    return
                self.sleep(delay)  # also when AWS had no free slot (requests made elsewhere hold them)
                ended = self._poll(flying)
                self._fill(queue, flying)  # refill the freed slots before the slower bookkeeping below
                for creation, status in ended:
                    self._finished(creation, status)
                delay = self.poll.next(delay, bool(ended))
        finally:
            self.progress.close()

    def _fill(self, queue: deque[Step], flying: dict[str, Creation]) -> None:
        """Submit while slots are free; stop early when AWS says it has none."""
        while queue and len(flying) < self.max_in_flight:
            step = queue.popleft()
            adopt = step.params.get("AdoptRequestId")
            if adopt:
                self.log.begin(step)
                self.log.progress(step, "adopted", request_id=adopt)
                self.progress.say(f"{step.params['AccountName']}: adopted request {adopt}, already in progress")
                flying[adopt] = Creation(step, adopt)
                continue
            status = self._submit(step, queue)
            if status is None:
                return
            if status["State"] == "IN_PROGRESS":
                flying[status["Id"]] = Creation(step, status["Id"])
            elif status["State"] != REFUSED:
                self._finished(Creation(step, status["Id"]), status)

    def _submit(self, step: Step, queue: deque[Step]) -> dict[str, Any] | None:
        self.log.begin(step)
        kwargs = {k: v for k, v in step.params.items() if k in ("Email", "AccountName", "RoleName", "IamUserAccessToBilling", "Tags")}
        try:
            status = self.ctx.client("organizations").create_account(**kwargs)["CreateAccountStatus"]
        except ClientError as exc:
            if exc.response.get("Reason") == "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED":
                self.log.progress(step, "deferred", error=error_text(exc))
                queue.appendleft(step)
                return None
            self.log.failed(step, error_text(exc))
            self.progress.finish_one(f"{step.params['AccountName']}: refused: {error_text(exc)}")
            return {"Id": "", "State": REFUSED}
        self.log.progress(step, "submitted", request_id=status["Id"])
        self.progress.say(f"{step.params['AccountName']}: request {status['Id']} submitted")
        return status

    def _poll(self, flying: dict[str, Creation]) -> list[tuple[Creation, dict[str, Any]]]:
        """One round: the requests that have ended since the last, taken out of `flying` with their final status."""
        orgs = self.ctx.client("organizations")
        pages = orgs.get_paginator("list_create_account_status").paginate(States=["IN_PROGRESS"])
        running = {s["Id"] for page in pages for s in page["CreateAccountStatuses"]}
        ended = []
        for rid in [rid for rid in flying if rid not in running]:
            status = orgs.describe_create_account_status(CreateAccountRequestId=rid)["CreateAccountStatus"]
            if status["State"] != "IN_PROGRESS":  # else: listed a moment before it started; next round
                ended.append((flying.pop(rid), status))
        return ended

    def _finished(self, creation: Creation, status: dict[str, Any]) -> None:
        name = creation.step.params["AccountName"]
        if status["State"] == "SUCCEEDED":
            account_id = status["AccountId"]
            try:
                extra = self.on_created(creation.step, account_id)
            except ClientError as exc:  # the account exists: a re-run plans what is left (e.g. the move)
                self.log.failed(creation.step, f"created {account_id}, then {error_text(exc)}")
                self.progress.finish_one(f"{name}: created {account_id}, but placing it failed: {error_text(exc)}; run the phase again")
                return
            seconds = round(time.monotonic() - creation.started, 1)
            self.log.done(creation.step, {"request_id": creation.request_id, "account_id": account_id, **extra})
            where = f" in {extra['ou']}" if extra.get("ou") else ""
            self.progress.finish_one(f"{name}: created {account_id}{where} ({seconds} s)")
            return
        reason = status.get("FailureReason", "UNKNOWN")
        self.log.failed(creation.step, f"{reason}: {remedy(reason)}")
        self.progress.finish_one(f"{name}: FAILED {reason}. Remedy: {remedy(reason)}")
