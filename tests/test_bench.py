"""course_lib.bench: how timings are taken (not how fast anything is)."""

from __future__ import annotations

import pytest

from course_lib.bench import Comparison, Timing, compare, time_fn


def test_time_fn_warms_up_then_times_the_requested_repeats() -> None:
    calls: list[int] = []
    timing = time_fn(lambda: calls.append(1), warmup=3, repeats=7)
    assert len(calls) == 10 and len(timing.times) == 7
    assert all(t >= 0 for t in timing.times)


def test_min_time_adds_repeats_until_enough_time_is_measured() -> None:
    timing = time_fn(lambda: sum(range(2000)), warmup=0, repeats=1, min_time=0.02)
    assert sum(timing.times) >= 0.02 and len(timing.times) > 1


def test_statistics_of_a_timing() -> None:
    timing = Timing((8.0, 1.0, 7.0, 2.0, 6.0, 3.0, 5.0, 4.0))
    assert timing.median == 4.5 and timing.best == 1.0
    # Quartiles of 1..8 (exclusive method): 2.25 and 6.75. An outlier moves the median little.
    assert timing.iqr == pytest.approx(4.5)
    assert Timing((1.0, 1.0, 1.0, 1000.0)).median == 1.0
    assert "median" in str(timing)


def test_compare_interleaves_and_reports_the_ratio_of_medians() -> None:
    order: list[str] = []
    result = compare(lambda: order.append("a"), lambda: order.append("b"), warmup=1, repeats=4)
    assert order == ["a", "b", "a", "b", "b", "a", "a", "b", "b", "a"]
    assert result.ratio == result.a.median / result.b.median
    assert result.speedup == pytest.approx(1 / result.ratio)


def test_ratio_definition() -> None:
    result = Comparison(Timing((2.0, 2.0, 2.0)), Timing((1.0, 1.0, 1.0)))
    assert result.ratio == 2.0 and result.speedup == 0.5


@pytest.mark.parametrize("kwargs", [{"repeats": 0}, {"warmup": -1}])
def test_bad_arguments_are_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="repeats"):
        time_fn(lambda: None, **kwargs)
