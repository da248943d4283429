"""Assignment 3, part 3: spend the oracle's budget, predict the compute-optimal run 100x beyond it.

Graded on one hidden law (seed 3), budget 3e18 FLOPs, target 3e20, by distance to the truth:
parameters within 2x, 1.25x and 1.1x of the true optimum, loss within 3% and 1%.
"""

from __future__ import annotations

import json
import math

import pytest

from course_lib.scaling import TrainingOracle, oracle_params

MODULE = "a3_scaling.budget"
SEED, BUDGET, TARGET = 3, 3e18, 3e20


@pytest.fixture(scope="module")
def outcome(load_impl, tmp_path_factory):
    """Run the student's plan once; tests re-raise its exception (so an unwritten part is "not attempted")."""
    impl = load_impl(MODULE)
    oracle = TrainingOracle(BUDGET, tmp_path_factory.mktemp("a3") / "oracle_log.jsonl", seed=SEED)
    try:
        prediction = impl.plan_and_predict(oracle, TARGET)
        error = None
    except Exception as exc:  # noqa: BLE001 - re-raised in every test
        prediction, error = None, exc
    return oracle, prediction, error


def result(outcome):
    oracle, prediction, error = outcome
    if error is not None:
        raise error
    return oracle, prediction, oracle.reveal(TARGET)


@pytest.mark.grade(part="budget", points=2)
def test_budget_honoured_and_logged(outcome):
    oracle, _, _ = result(outcome)
    assert oracle.spent <= BUDGET
    entries = [json.loads(line) for line in oracle.log_path.read_text().splitlines()]
    assert len(entries) == len(oracle.queries) > 0
    assert sum(e["flops"] for e in entries) == pytest.approx(oracle.spent)


@pytest.mark.grade(part="budget", points=1)
def test_prediction_is_a_valid_run(outcome):
    _, pred, _ = result(outcome)
    shape = (int(pred["d_model"]), int(pred["num_layers"]), int(pred["num_heads"]))
    assert pred["params"] == pytest.approx(oracle_params(*shape), rel=1e-9)
    assert pred["tokens"] == pytest.approx(TARGET / (6 * pred["params"]), rel=1e-6)


@pytest.mark.grade(part="budget", points=2)
def test_params_within_2x(outcome):
    _, pred, truth = result(outcome)
    assert abs(math.log(pred["params"] / truth["params"])) <= math.log(2.0)


@pytest.mark.grade(part="budget", points=2)
def test_params_within_1_25x(outcome):
    _, pred, truth = result(outcome)
    assert abs(math.log(pred["params"] / truth["params"])) <= math.log(1.25)


@pytest.mark.grade(part="budget", points=1)
def test_params_within_1_1x(outcome):
    _, pred, truth = result(outcome)
    assert abs(math.log(pred["params"] / truth["params"])) <= math.log(1.1)


@pytest.mark.grade(part="budget", points=2)
def test_loss_within_3_percent(outcome):
    _, pred, truth = result(outcome)
    assert pred["loss"] == pytest.approx(truth["loss"], rel=0.03)


@pytest.mark.grade(part="budget", points=1)
def test_loss_within_1_percent(outcome):
    _, pred, truth = result(outcome)
    assert pred["loss"] == pytest.approx(truth["loss"], rel=0.01)
