"""The client-side token bucket, on a virtual clock: no real time passes in these tests."""

from __future__ import annotations

import itertools
import threading

import pytest

from orgnb.aws.pacing import PACING_BURST, TokenBucket


class VirtualClock:
    """A clock that moves only when a caller sleeps (or ticks, when `tick` is set), keeping the sleeps it was asked for."""

    def __init__(self, tick: float = 0.0) -> None:
        self.now = 0.0
        self.tick = tick
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self.now += self.tick
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            if not self.tick:  # a lone caller: sleeping is what moves time on
                self.now += seconds


def bucket(rate: float, burst: float, clock: VirtualClock) -> TokenBucket:
    return TokenBucket(rate, burst, clock=clock, sleep=clock.sleep)


def most_in_any_window(instants: list[float], rate: float, burst: float) -> float:
    """How far the busiest window overshoots `burst + rate × its length` (≤ 0: the rate was kept everywhere)."""
    ordered = sorted(instants)
    pairs = itertools.combinations_with_replacement(range(len(ordered)), 2)
    return max(j - i + 1 - burst - rate * (ordered[j] - ordered[i]) for i, j in pairs)


@pytest.mark.parametrize(("rate", "burst", "calls"), [(10.0, 4.0, 24), (40.0, 20.0, 105), (3.0, 1.0, 7)])
def test_n_acquisitions_take_n_minus_burst_over_rate(rate: float, burst: float, calls: int) -> None:
    clock = VirtualClock()
    pace = bucket(rate, burst, clock)
    sent = [pace.acquire() for _ in range(calls)]
    assert clock.now == pytest.approx((calls - burst) / rate)
    assert sent[: int(burst)] == [0.0] * int(burst)  # the burst goes at once
    assert sent[-1] == pytest.approx(clock.now)
    assert len(clock.slept) == calls - burst  # one wait of 1/rate for every call past the burst
    assert clock.slept == pytest.approx([1 / rate] * (calls - int(burst)))


def test_an_idle_bucket_refills_up_to_its_burst_only() -> None:
    clock = VirtualClock()
    pace = bucket(5.0, 2.0, clock)
    for _ in range(4):
        pace.acquire()
    assert clock.now == pytest.approx(0.4)
    clock.now += 60  # a minute idle earns two tokens, not three hundred
    pace.acquire()
    pace.acquire()
    assert clock.now == pytest.approx(60.4)
    pace.acquire()
    assert clock.now == pytest.approx(60.6)


def test_concurrent_acquisitions_never_exceed_the_rate() -> None:
    rate, burst = 40.0, 8.0
    clock = VirtualClock(tick=0.0005)  # every reading moves time on a little: the threads interleave with it
    pace = bucket(rate, burst, clock)
    sent: list[float] = []
    lock = threading.Lock()

    def caller() -> None:
        for _ in range(50):
            at = pace.acquire()
            with lock:
                sent.append(at)

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sent) == 400
    assert most_in_any_window(sent, rate, burst) <= 1e-9
    # and the rate was used, not merely kept: 400 calls took no longer than the bucket allows
    assert max(sent) == pytest.approx((400 - burst) / rate, abs=0.05)


def test_try_take_never_waits_and_refuses_an_empty_bucket() -> None:
    clock = VirtualClock()
    pace = bucket(10.0, 2.0, clock)
    assert [pace.try_take() for _ in range(3)] == [True, True, False]
    clock.now += 0.1
    assert pace.try_take() is True
    assert pace.try_take() is False
    assert clock.slept == []


def test_a_pacing_bucket_holds_a_second_of_calls_and_no_more_than_its_cap() -> None:
    assert TokenBucket.pacing(5).burst == 5
    assert TokenBucket.pacing(100).burst == PACING_BURST == 20
    assert TokenBucket.pacing(0.5).burst == 1  # never less than one call


@pytest.mark.parametrize("rate", [0.0, -1.0])
def test_a_rate_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(rate)
