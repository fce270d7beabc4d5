"""The throughput benchmark's side-by-side arithmetic (pure: no server, no model)."""

import math

import pytest

from benchmarks.common import Ceiling
from benchmarks.throughput import LoadSlice, ceiling_cpu_seconds, side_by_side


def test_a_step_at_its_ceilings_pace_is_100_percent_whatever_the_minute() -> None:
    # The machine was twice as fast in the second slice; the service kept pace with the
    # ceiling measured beside each slice, so the step is at 100%, and so is each slice.
    slices = [LoadSlice(100, 2.0, Ceiling(50.0, 40.0)), LoadSlice(200, 2.0, Ceiling(100.0, 20.0))]
    ratio = side_by_side(slices)
    assert ratio["% of ceiling"] == pytest.approx(100.0)
    assert ratio["slice % min"] == pytest.approx(100.0)
    assert ratio["slice % max"] == pytest.approx(100.0)
    assert ratio["ceiling rps"] == pytest.approx(75.0)  # 300 questions in 6 s of ceiling


def test_each_slice_is_held_to_the_ceiling_measured_beside_it() -> None:
    # Slice 1: 80 questions in 1 s against a ceiling of 100/s (80%); slice 2: 50 in 1 s
    # against 50/s (100%). The ceiling needs 0.8 + 1.0 s for them: 90% of the 2 s. Against
    # the mean of the two ceilings' rates (130 / 2 s vs 75/s) the step would read 86.7%.
    slices = [LoadSlice(80, 1.0, Ceiling(100.0, 20.0)), LoadSlice(50, 1.0, Ceiling(50.0, 40.0))]
    ratio = side_by_side(slices)
    assert ratio["% of ceiling"] == pytest.approx(90.0)
    assert ratio["slice % min"] == pytest.approx(80.0)
    assert ratio["slice % max"] == pytest.approx(100.0)
    assert ceiling_cpu_seconds(slices) == pytest.approx(80 * 0.020 + 50 * 0.040)


def test_slices_that_answered_nothing_are_left_out() -> None:
    slices = [LoadSlice(0, 0.5, Ceiling(0.0, 0.0)), LoadSlice(40, 1.0, Ceiling(50.0, 30.0))]
    assert side_by_side(slices)["% of ceiling"] == pytest.approx(80.0)
    assert ceiling_cpu_seconds(slices) == pytest.approx(40 * 0.030)
    assert math.isnan(side_by_side([LoadSlice(0, 1.0, Ceiling(0.0, 0.0))])["% of ceiling"])
