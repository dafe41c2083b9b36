"""The creation pipeline's cadence, on a virtual clock (tests/creationsim.py): five in flight, slots refilled as
requests end, each request looked at when it should end, status calls within the assumed rate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orgnb.engine.plan import Step
from orgnb.phases.account_creation.cadence import STATUS_CALL_BURST, STATUS_CALLS_PER_SECOND, Cadence, PollSchedule
from orgnb.phases.account_creation.pipeline import Pipeline
from tests.creationsim import (
    EPOCH,
    FakeContext,
    FakeOrganizations,
    RecordingLog,
    SilentProgress,
    VirtualClock,
    creation_steps,
    simulate,
    within_rate,
)

GRID = [(seconds, count) for seconds in (20.0, 60.0, 180.0) for count in (5, 40, 200)]


def succeeded(requested: float, completed: float) -> dict:
    return {
        "State": "SUCCEEDED",
        "RequestedTimestamp": EPOCH + timedelta(seconds=requested),
        "CompletedTimestamp": EPOCH + timedelta(seconds=completed),
    }


@pytest.mark.parametrize(("seconds", "count"), GRID)
def test_every_account_is_created_in_about_ceil_n_over_five_creation_times(seconds: float, count: int) -> None:
    run = simulate(count, seconds)
    assert (run.applied, run.failed) == (count, 0)
    assert run.most_in_flight == 5, "five in flight, never more (AWS would refuse a sixth)"
    assert run.ratio <= 1.05, f"{run.makespan:.1f} s against {run.ideal:.0f} s"


@pytest.mark.parametrize(("seconds", "count"), GRID)
def test_status_calls_stay_within_the_assumed_rate(seconds: float, count: int) -> None:
    run = simulate(count, seconds)
    assert within_rate(run.status_calls, STATUS_CALLS_PER_SECOND, STATUS_CALL_BURST)
    if count == 200:  # once the creation time is known, about one describe per account
        assert run.calls_per_account < 2
    # before the first end, lists every floor then every 4 % of the age: about 100 calls for 5 requests of 3 minutes
    assert len(run.status_calls) <= count * 1.5 + 100


def test_a_slot_is_refilled_as_soon_as_its_request_is_seen_to_end() -> None:
    clock = VirtualClock()
    orgs = FakeOrganizations(clock, lambda n: 60.0)
    Pipeline(FakeContext(orgs), RecordingLog(), lambda step, account: {}, SilentProgress(40), sleep=clock.sleep, now=clock.now).run(
        creation_steps(40)
    )
    creates = [moment for operation, moment in orgs.calls if operation == "CreateAccount"]
    seen = sorted(orgs.seen_ended.values())
    assert len(creates) == 40
    for moment in creates[5:]:  # each later request goes out right after an end the pipeline saw (behind the others it freed)
        assert any(0 <= moment - end <= 4 * orgs.latency + 1e-9 for end in seen), moment


def test_a_request_slower_than_the_rest_is_still_seen_and_the_others_keep_flowing() -> None:
    run = simulate(40, lambda n: 180.0 if n == 7 else 30.0)
    assert (run.applied, run.failed, run.most_in_flight) == (40, 0, 5)
    # the slot held for 180 s takes no more than its share: the five slots stay busy, 1,350 s of creation in about 270 s
    assert run.makespan <= 1.05 * (39 * 30 + 180) / 5


def test_the_estimate_is_the_median_of_the_durations_aws_reports() -> None:
    cadence = Cadence(PollSchedule())
    assert cadence.estimate() is None
    cadence.observe(succeeded(0, 61), waited=70)  # AWS's timestamps win over how long we happened to wait
    cadence.observe(succeeded(5, 64), waited=80)
    cadence.observe({"State": "SUCCEEDED"}, waited=65)  # no timestamps: the wait is what there is
    assert cadence.durations == [61, 59, 65] and cadence.estimate() == 61
    cadence.observe({"State": "SUCCEEDED"}, waited=None)  # an adopted request without timestamps says nothing
    assert len(cadence.durations) == 3


def test_a_request_is_described_alone_when_it_should_have_ended() -> None:
    cadence = Cadence(PollSchedule())
    cadence.observe(succeeded(0, 60), waited=None)
    at, index = cadence.next_check([(100.0, False), (90.0, False)], last_list=95.0, quiet=0)
    assert (at, index) == (150.0, 1)


def test_before_anything_ends_lists_come_every_floor_then_a_growing_share_of_the_age() -> None:
    schedule = PollSchedule()
    cadence = Cadence(schedule)
    assert cadence.next_check([(0.0, False)], last_list=2.0, quiet=0) == (2.0 + schedule.floor, None)
    assert cadence.next_check([(0.0, False)], last_list=100.0, quiet=0) == (100.0 + 100.0 * schedule.growth, None)
    assert cadence.next_check([(0.0, False)], last_list=5000.0, quiet=0) == (5000.0 + schedule.cap, None)


def test_a_request_found_running_past_its_expected_end_is_watched_by_lists() -> None:
    cadence = Cadence(PollSchedule())
    cadence.observe(succeeded(0, 60), waited=None)
    at, index = cadence.next_check([(0.0, True), (50.0, False)], last_list=70.0, quiet=0)
    assert index is None and at == pytest.approx(70.0 + PollSchedule().growth * 70.0), "a list before the other's end at 110"


def test_with_nothing_of_ours_running_the_wait_grows_while_rounds_stay_quiet() -> None:
    schedule = PollSchedule()
    waits = [Cadence(schedule).next_check([], last_list=0.0, quiet=quiet)[0] for quiet in range(12)]
    assert waits[0] == schedule.floor and waits == sorted(waits) and waits[-1] == schedule.cap


def test_a_scaled_schedule_keeps_the_proportions() -> None:
    fast = PollSchedule().scaled(0.1)
    assert fast.floor == pytest.approx(PollSchedule().floor / 10) and fast.rate == pytest.approx(PollSchedule().rate * 10)
    assert fast.growth == PollSchedule().growth and fast.burst == PollSchedule().burst


def test_an_interrupted_run_leaves_no_step_begun_and_unfinished() -> None:
    clock = VirtualClock()
    orgs = FakeOrganizations(clock, lambda n: 20.0)
    log = RecordingLog()

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if clock.now() > 50:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Pipeline(FakeContext(orgs), log, lambda step, account: {}, SilentProgress(40), sleep=sleep, now=clock.now).run(creation_steps(40))
    assert 0 < len(log.result.applied) < 40
    assert log.events["begin"] == len(log.result.applied) + len(log.result.failed), "every begun step is done or failed"
    assert all("the next run" in error for error in log.result.failed.values())


def test_an_interrupt_while_an_ended_request_is_placed_journals_it_as_failed() -> None:
    """The account's move into its OU (on_created) can be interrupted: the step it belongs to is not left begun."""
    clock = VirtualClock()
    log = RecordingLog()
    placed: list[str] = []

    def on_created(step: Step, account: str) -> dict[str, str]:
        placed.append(account)
        if len(placed) == 3:
            raise KeyboardInterrupt
        return {}

    pipeline = Pipeline(
        FakeContext(FakeOrganizations(clock, lambda n: 20.0)), log, on_created, SilentProgress(10), sleep=clock.sleep, now=clock.now
    )
    with pytest.raises(KeyboardInterrupt):
        pipeline.run(creation_steps(10))
    assert len(log.result.applied) == 2
    assert log.events["begin"] == len(log.result.applied) + len(log.result.failed), "every begun step is done or failed"
