"""Assignment 3, part 1: IsoFLOP minima, the allocation law and its extrapolation."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.scaling import ChinchillaLaw, allocation, compute_optimal, fit_isoflops

MODULE = "a3_scaling.isoflop"
LAW = ChinchillaLaw(E=1.7, A=400.0, B=1500.0, alpha=0.33, beta=0.30)


def planted_sweep(seed: int = 0, noise: float = 0.003):
    """IsoFLOP runs of ``LAW`` at 5 budgets, 7 sizes from 1/4x to 4x each optimum, lognormal noise."""
    rng = np.random.default_rng(seed)
    N, C, L = [], [], []
    for c in (1e18, 1e19, 1e20, 1e21, 1e22):
        n0 = float(compute_optimal(c, LAW)[0])
        for n in n0 * np.geomspace(0.25, 4, 7):
            N.append(n), C.append(c), L.append(float(LAW.loss(n, c / (6 * n))) * np.exp(noise * rng.standard_normal()))
    return np.array(N), np.array(C), np.array(L)


@pytest.mark.grade(part="isoflop", points=3)
def test_minima_match_course_lib(load_impl):
    impl = load_impl(MODULE)
    N, C, L = planted_sweep()
    got = impl.isoflop_minima(N, C, L)
    want = fit_isoflops(N, C, L)
    assert len(got) == len(want)
    for (budget, n_opt, loss_opt), ref in zip(got, want):
        assert budget == ref.budget
        assert n_opt == pytest.approx(ref.n_opt, rel=1e-6)
        assert loss_opt == pytest.approx(ref.loss_opt, rel=1e-9)


@pytest.mark.grade(part="isoflop", points=1)
def test_minima_reject_bad_input(load_impl):
    impl = load_impl(MODULE)
    with pytest.raises(ValueError):
        impl.isoflop_minima(np.array([1e6, 2e6, 4e6]), np.array([1e15, 1e15]), np.array([3.0, 2.9, 3.0]))
    with pytest.raises(ValueError):
        impl.isoflop_minima(np.array([1e6, 2e6]), np.array([1e15, 1e15]), np.array([3.0, 2.9]))
    with pytest.raises(ValueError):
        impl.isoflop_minima(np.array([1e6, 2e6, 4e6]), np.array([1e15] * 3), np.array([3.0, 3.1, 3.0]))
    with pytest.raises(ValueError):
        impl.isoflop_minima(np.array([1e6, -2e6, 4e6]), np.array([1e15] * 3), np.array([3.0, 2.9, 3.0]))


@pytest.mark.grade(part="isoflop", points=2)
def test_allocation_recovers_planted_exponent(load_impl):
    impl = load_impl(MODULE)
    C = np.array([1e18, 1e19, 1e20])
    k, a = impl.fit_allocation(C, 0.3 * C**0.55)
    assert (k, a) == (pytest.approx(0.3, rel=1e-9), pytest.approx(0.55, rel=1e-12))
    N, Cs, L = planted_sweep(seed=1)
    minima = impl.isoflop_minima(N, Cs, L)
    k, a = impl.fit_allocation(np.array([m[0] for m in minima]), np.array([m[1] for m in minima]))
    assert a == pytest.approx(LAW.a, abs=0.02)
    n_pred, d_pred = impl.predict(1e24, k, a)
    assert n_pred * d_pred * 6 == pytest.approx(1e24)
    assert n_pred == pytest.approx(float(compute_optimal(1e24, LAW)[0]), rel=0.25)


@pytest.mark.grade(part="isoflop", points=2)
def test_predictions_on_the_shipped_sweep(load_impl):
    """Predictions at 1e23 and 1e24 FLOPs from the shipped table agree with course_lib's pipeline."""
    impl = load_impl(MODULE)
    N, C, L = impl.load_sweep_table()
    minima = impl.isoflop_minima(N, C, L)
    k, a = impl.fit_allocation(np.array([m[0] for m in minima]), np.array([m[1] for m in minima]))
    fits = fit_isoflops(N, C, L)
    n_law, d_law = allocation([f.budget for f in fits], [f.n_opt for f in fits])
    for budget in (1e23, 1e24):
        n_pred, d_pred = impl.predict(budget, k, a)
        assert n_pred == pytest.approx(float(n_law(budget)), rel=1e-6)
        assert d_pred == pytest.approx(float(d_law(budget)), rel=1e-6)
