"""course_lib.scaling: power laws, the Chinchilla fit, IsoFLOPs, the CSV reader, the oracle, the sweep."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import scipy.optimize
import scipy.stats

from course_lib import accounting
from course_lib.scaling import (
    BESIROGLU_2024,
    BudgetExceededError,
    ChinchillaLaw,
    TrainingOracle,
    allocation,
    compute_optimal,
    fit_chinchilla,
    fit_isoflops,
    fit_power_law,
    lowest_loss_frontier,
    read_epoch_csv,
)
from course_lib.scaling.fit import HOFFMANN_GRID, huber_objective
from course_lib.scaling.sweep import SWEEP, SWEEP_PATH, SweepSpec, load_sweep, run_sweep, sweep_runs

PLANTED = ChinchillaLaw(E=1.8, A=480.0, B=2100.0, alpha=0.35, beta=0.37)


def synthetic_runs(law: ChinchillaLaw, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` runs spread over 1e7..1e10 parameters and 20..400 tokens per parameter, loss with
    multiplicative lognormal noise of standard deviation ``noise``."""
    rng = np.random.default_rng(seed)
    N = 10 ** rng.uniform(7, 10, n)
    D = N * 10 ** rng.uniform(np.log10(2), np.log10(400), n)
    loss = law.loss(N, D) * np.exp(noise * rng.standard_normal(n))
    return N, D, loss


# ----------------------------------------------------------------------------------------------
# power laws


def test_fit_power_law_matches_scipy_linregress():
    rng = np.random.default_rng(0)
    x = 10 ** rng.uniform(0, 4, 30)
    y = 3.0 * x**-0.4 * np.exp(0.05 * rng.standard_normal(30))
    law = fit_power_law(x, y)
    ref = scipy.stats.linregress(np.log(x), np.log(y))
    assert law.exponent == pytest.approx(ref.slope, rel=1e-10)
    assert np.log(law.coefficient) == pytest.approx(ref.intercept, rel=1e-10)
    assert law.exponent_se == pytest.approx(ref.stderr, rel=1e-8)


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        ([1, 2, 3], [1, 2], "mismatched"),
        ([1, -2, 3], [1, 2, 3], "x\\[1\\]"),
        ([1, 2], [1, np.nan], "y\\[1\\]"),
        ([1], [1], "2 parameters"),
        ([2, 2, 2], [1, 2, 3], "all x are equal"),
    ],
)
def test_fit_power_law_rejects_bad_input(x, y, match):
    with pytest.raises(ValueError, match=match):
        fit_power_law(x, y)


# ----------------------------------------------------------------------------------------------
# compute_optimal


def test_compute_optimal_is_the_constrained_minimum():
    for C in (1e18, 1e21, 1e24):
        N, D, loss = compute_optimal(C, BESIROGLU_2024)
        assert 6 * N * D == pytest.approx(C, rel=1e-12)
        res = scipy.optimize.minimize_scalar(
            lambda x: float(BESIROGLU_2024.loss(np.exp(x), C / (6 * np.exp(x)))),
            bounds=(np.log(N) - 5, np.log(N) + 5),
            method="bounded",
            options={"xatol": 1e-10},
        )
        assert np.log(N) == pytest.approx(res.x, abs=1e-4)
        assert loss == pytest.approx(res.fun, rel=1e-9)


def test_compute_optimal_exponents_and_validation():
    C = np.array([1e20, 1e22])
    N, D, _ = compute_optimal(C, PLANTED)
    assert np.log(N[1] / N[0]) / np.log(100) == pytest.approx(PLANTED.a, rel=1e-12)
    assert PLANTED.a + PLANTED.b == pytest.approx(1.0)
    with pytest.raises(ValueError, match="positive"):
        compute_optimal([1e20, -1.0], PLANTED)
    with pytest.raises(ValueError, match="alpha"):
        ChinchillaLaw(E=1.0, A=1.0, B=1.0, alpha=0.0, beta=0.3)


# ----------------------------------------------------------------------------------------------
# fit_chinchilla


def test_fit_recovers_planted_constants_without_noise():
    N, D, loss = synthetic_runs(PLANTED, 60, 0.0, seed=1)
    fit = fit_chinchilla(N, D, loss)
    for got, want in zip(fit.law.as_tuple(), PLANTED.as_tuple()):
        assert got == pytest.approx(want, rel=1e-4)
    assert fit.objective < 1e-12


def test_fit_recovers_planted_constants_from_noisy_data():
    """250 runs with 1% noise: exponents within 0.03, E within 0.05 nats, allocation ``a`` within 0.03."""
    N, D, loss = synthetic_runs(PLANTED, 250, 0.01, seed=2)
    fit = fit_chinchilla(N, D, loss)
    assert fit.law.alpha == pytest.approx(PLANTED.alpha, abs=0.03)
    assert fit.law.beta == pytest.approx(PLANTED.beta, abs=0.03)
    assert fit.law.E == pytest.approx(PLANTED.E, abs=0.05)
    assert fit.law.a == pytest.approx(PLANTED.a, abs=0.03)


def test_fit_reaches_scipy_optimum():
    """Polishing our optimum with scipy's L-BFGS-B finds nothing lower (same objective)."""
    N, D, loss = synthetic_runs(PLANTED, 120, 0.01, seed=3)
    fit = fit_chinchilla(N, D, loss)
    ln = np.log(N), np.log(D), np.log(loss)
    theta = np.array([np.log(fit.law.E), np.log(fit.law.A), np.log(fit.law.B), fit.law.alpha, fit.law.beta])

    def f(t):
        return float(huber_objective(t[None], *ln, np.ones((1, len(N))), 1e-3)[0])

    res = scipy.optimize.minimize(f, theta, method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-12})
    assert fit.objective <= res.fun * (1 + 1e-6)
    assert fit.objective == pytest.approx(f(theta), rel=1e-12)


def test_fit_does_not_depend_on_row_order():
    N, D, loss = synthetic_runs(PLANTED, 80, 0.02, seed=4)
    perm = np.random.default_rng(0).permutation(80)
    a = fit_chinchilla(N, D, loss, bootstrap=20, seed=5)
    b = fit_chinchilla(N[perm], D[perm], loss[perm], bootstrap=20, seed=5)
    assert a.law == b.law
    assert a.objective == b.objective
    np.testing.assert_array_equal(a.bootstrap, b.bootstrap)


def test_bootstrap_interval_covers_planted_exponents():
    N, D, loss = synthetic_runs(PLANTED, 120, 0.01, seed=6)
    grid = {"e": (0.0, 1.0), "a": (0.0, 10.0), "b": (0.0, 10.0), "alpha": (0.2, 1.0), "beta": (0.2, 1.0)}
    fit = fit_chinchilla(N, D, loss, grid=grid, bootstrap=100, seed=0)
    assert fit.bootstrap.shape == (100, 5)
    for name in ("alpha", "beta", "a"):
        lo, hi = fit.interval(name, 0.95)
        want = getattr(PLANTED, name)
        assert lo < want < hi, (name, lo, hi, want)
        assert hi - lo < 0.15
    with pytest.raises(ValueError, match="unknown name"):
        fit.interval("gamma")


@pytest.mark.parametrize(
    ("N", "D", "loss", "match"),
    [
        ([1e8] * 6, [1e9] * 5, [3.0] * 6, "mismatched"),
        ([1e8] * 5, [1e9] * 5, [3.0] * 5, "at least 6"),
        ([1e8, 0, 1e8, 1e8, 1e8, 1e8], [1e9] * 6, [3.0] * 6, "N\\[1\\]"),
        ([1e8] * 6, [1e9] * 6, [3.0, 3.0, np.inf, 3.0, 3.0, 3.0], "loss\\[2\\]"),
    ],
)
def test_fit_rejects_bad_input(N, D, loss, match):
    with pytest.raises(ValueError, match=match):
        fit_chinchilla(N, D, loss)


def test_hoffmann_grid_is_their_4500_starts():
    assert np.prod([len(v) for v in HOFFMANN_GRID.values()]) == 4500


# ----------------------------------------------------------------------------------------------
# IsoFLOPs and the frontier


def test_isoflop_parabolas_recover_allocation():
    """Noiseless IsoFLOP profiles of a known law, sizes spanning 1/4x..4x the optimum: the parabola
    minima are within 10% of the true N_opt and the fitted exponent within 0.01 of ``a``."""
    budgets = [1e18, 1e19, 1e20, 1e21]
    N, C, L = [], [], []
    for c in budgets:
        n_opt = compute_optimal(c, PLANTED)[0]
        for n in n_opt * np.geomspace(0.25, 4, 9):
            N.append(n), C.append(c), L.append(float(PLANTED.loss(n, c / (6 * n))))
    fits = fit_isoflops(N, C, L)
    assert [f.budget for f in fits] == budgets
    for f in fits:
        assert f.n_opt == pytest.approx(float(compute_optimal(f.budget, PLANTED)[0]), rel=0.1)
    n_law, d_law = allocation([f.budget for f in fits], [f.n_opt for f in fits])
    assert n_law.exponent == pytest.approx(PLANTED.a, abs=0.01)
    assert n_law.exponent + d_law.exponent == pytest.approx(1.0)


def test_isoflop_rejects_unbracketed_and_too_few():
    with pytest.raises(ValueError, match="3 distinct sizes"):
        fit_isoflops([1e6, 2e6], [1e15, 1e15], [3.0, 2.9])
    with pytest.raises(ValueError, match="opens downwards"):
        fit_isoflops([1e6, 2e6, 4e6], [1e15] * 3, [3.0, 3.1, 3.0])


def test_lowest_loss_frontier_picks_the_lower_curve():
    curves = [
        (np.array([1.0, 10.0, 100.0]), np.array([5.0, 4.0, 3.0])),
        (np.array([10.0, 100.0, 1000.0]), np.array([4.5, 2.5, 2.0])),
    ]
    front = lowest_loss_frontier(curves, [10.0, 20.0], [1.0, 10.0, 100.0, 1000.0, 1e4])
    np.testing.assert_allclose(front.flops, [1.0, 10.0, 100.0, 1000.0])
    np.testing.assert_allclose(front.loss, [5.0, 4.0, 2.5, 2.0])
    np.testing.assert_allclose(front.params, [10.0, 10.0, 20.0, 20.0])
    with pytest.raises(ValueError, match="strictly increasing"):
        lowest_loss_frontier([(np.array([2.0, 1.0]), np.array([1.0, 1.0]))], [1.0], [1.0])


# ----------------------------------------------------------------------------------------------
# the replication's CSV


def test_read_epoch_csv(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(
        'Model Size,Training Tokens,Training FLOP,loss\n4.4e7,8.0e9,2.1e18,3.08\n"1.0e9",2.0e10,1.2e20,2.41\n'
    )
    runs = read_epoch_csv(path)
    np.testing.assert_allclose(runs.N, [4.4e7, 1.0e9])
    np.testing.assert_allclose(runs.C, [2.1e18, 1.2e20])
    np.testing.assert_allclose(runs.loss, [3.08, 2.41])
    np.testing.assert_allclose(runs.D, runs.C / (6 * runs.N))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Model Size,loss\n1,2\n", "missing column.*Training FLOP"),
        ("Model Size,Training FLOP,loss\n", "no data rows"),
        ("Model Size,Training FLOP,loss\n1e8,abc,3\n", "line 2"),
        ("Model Size,Training FLOP,loss\n1e8,1e18,-3\n", "loss"),
    ],
)
def test_read_epoch_csv_errors(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        read_epoch_csv(path)
    with pytest.raises(FileNotFoundError):
        read_epoch_csv(tmp_path / "absent.csv")


# ----------------------------------------------------------------------------------------------
# the oracle


def test_oracle_charges_refuses_and_logs(tmp_path):
    log = tmp_path / "log.jsonl"
    oracle = TrainingOracle(1e16, log, seed=3)
    loss = oracle.query(256, 4, 4, 64, 3e-3, 6e15)
    assert np.isfinite(loss) and loss > 0
    assert oracle.spent == 6e15
    with pytest.raises(BudgetExceededError, match="refused"):
        oracle.query(256, 4, 4, 64, 3e-3, 6e15)
    assert oracle.spent == 6e15  # a refused query costs nothing
    with pytest.raises(ValueError, match="d_model"):
        oracle.query(100, 4, 3, 64, 3e-3, 1e13)
    with pytest.raises(ValueError, match="learning_rate"):
        oracle.query(256, 4, 4, 64, 1.0, 1e13)
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(entries) == 1 and entries[0]["loss"] == loss
    # reopening the log resumes the spending
    again = TrainingOracle(1e16, log, seed=3)
    assert again.spent == 6e15
    with pytest.raises(ValueError, match="seed"):
        TrainingOracle(1e16, log, seed=4)


def test_oracle_follows_its_law(tmp_path):
    """Averaged over noise at the best learning rate the answers follow the hidden law: a larger
    model on the same data, or more data for the same model, lowers the loss; a wrong learning rate
    raises it; the truth is the law's compute optimum."""
    oracle = TrainingOracle(1e19, tmp_path / "log.jsonl", seed=0)
    law = ChinchillaLaw(**{k: oracle.reveal_law()[k] for k in ("E", "A", "B", "alpha", "beta")})
    truth = oracle.reveal(1e20)
    assert truth["params"] == pytest.approx(float(compute_optimal(1e20, law)[0]))
    lr_opt = oracle.reveal_law()["lr0"] * (256 / 512) ** oracle.reveal_law()["lr_power"]
    good = np.mean([oracle.query(512, 8, 8, 128, lr_opt, 1e16) for _ in range(5)])
    bad = np.mean([oracle.query(512, 8, 8, 128, lr_opt * 10, 1e16) for _ in range(5)])
    assert bad > good
    from course_lib.scaling import oracle_params

    n = oracle_params(512, 8, 8)
    assert good == pytest.approx(float(law.loss(n, 1e16 / (6 * n))), rel=0.01)


# ----------------------------------------------------------------------------------------------
# the sweep


def test_sweep_grid_respects_window():
    for run in sweep_runs(SWEEP):
        assert SWEEP.min_steps <= run.steps <= SWEEP.max_steps
    assert len({r.width for r in sweep_runs(SWEEP)}) >= 5
    assert len({r.budget for r in sweep_runs(SWEEP)}) >= 3


def test_run_sweep_resumes(tmp_path, monkeypatch):
    """A tiny spec: the second call trains nothing new; a different spec on the same file is refused."""
    from course_lib.scaling import sweep as sweep_module

    spec = SweepSpec(
        widths=(16, 32),
        budgets=(2e8,),
        min_steps=1,
        max_steps=10,
        corpus_megabytes=0.5,
        lr_widths=(16,),
        lr_values=(1e-3,),
        lr_budget=2e8,
        final_eval_batches=2,
        curve_points=4,
    )
    path = tmp_path / "sweep.json"
    calls = []
    real = sweep_module.train_run
    monkeypatch.setattr(sweep_module, "train_run", lambda *a, **k: calls.append(a[0].name) or real(*a, **k))
    data = run_sweep(path, spec, progress=False)
    assert len(data["runs"]) == len(sweep_runs(spec)) and len(data["lr_runs"]) == 1
    first = len(calls)
    again = run_sweep(path, spec, progress=False)
    assert len(calls) == first and again == json.loads(path.read_text())
    with pytest.raises(ValueError, match="different spec"):
        run_sweep(path, SweepSpec(), progress=False)


def test_committed_sweep_is_consistent_with_accounting():
    """Every committed run's parameters, tokens and FLOPs agree with course_lib.accounting."""
    if not SWEEP_PATH.is_file():
        pytest.skip("no committed sweep")
    data = load_sweep()
    assert data["spec"] == json.loads(json.dumps(dataclasses.asdict(SWEEP)))
    names = {r.name for r in sweep_runs(SWEEP)}
    assert {r["name"] for r in data["runs"]} <= names
    for rec in data["runs"] + data["lr_runs"]:
        config = SWEEP.model_config(rec["width"])
        counts = accounting.parameter_counts(config)
        assert (rec["params"], rec["params_non_embedding"]) == (counts.total, counts.non_embedding)
        assert rec["tokens"] == rec["steps"] * SWEEP.batch_size * SWEEP.context_length
        assert rec["flops"] == rec["steps"] * accounting.training_flops(config, SWEEP.batch_size, SWEEP.context_length)
        assert 0 < rec["final_loss"] < np.log(SWEEP.vocab_size)


def test_sweep_command_lists_the_committed_runs_as_done(capsys):
    import argparse

    from course_lib.tools.commands import sweep as command

    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    assert command.run(parser.parse_args(["--list"])) == 0
    lines = capsys.readouterr().out.splitlines()
    data = load_sweep()
    assert len(lines) == len(sweep_runs(SWEEP)) + len(SWEEP.lr_widths) * len(SWEEP.lr_values)
    done = sum(line.endswith("done") for line in lines)
    assert done == len(data["runs"]) + len(data["lr_runs"])


def test_train_run_trains_on_one_thread_whatever_the_caller_uses(monkeypatch):
    """The committed sweep ran on one thread (more threads sum the matmuls in another order); a run
    called directly from a process with more threads trains on one too, and gives the caller its
    thread count back."""
    import torch

    import course_lib.training as training
    from course_lib.scaling.sweep import RunSpec, train_run

    seen = []
    real_train = training.train
    monkeypatch.setattr(training, "train", lambda *a, **k: seen.append(torch.get_num_threads()) or real_train(*a, **k))
    spec = SweepSpec(widths=(16,), budgets=(2e8,), min_steps=1, max_steps=10, corpus_megabytes=0.5, curve_points=4)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        train_run(RunSpec(width=16, budget=2e8, steps=6, max_lr=3e-2), spec)
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
