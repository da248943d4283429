"""Assignment 3, part 2: the parametric law fitted with a Huber loss, and its bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

from course_lib.scaling import ChinchillaLaw, fit_chinchilla
from course_lib.scaling.fit import huber_objective

MODULE = "a3_scaling.parametric"
LAW = ChinchillaLaw(E=1.8, A=480.0, B=2100.0, alpha=0.35, beta=0.37)


def runs(n: int, noise: float, seed: int):
    rng = np.random.default_rng(seed)
    N = 10 ** rng.uniform(7, 10, n)
    D = N * 10 ** rng.uniform(np.log10(2), np.log10(400), n)
    return N, D, LAW.loss(N, D) * np.exp(noise * rng.standard_normal(n))


@pytest.mark.grade(part="parametric", points=2)
def test_objective_and_gradient(load_impl):
    impl = load_impl(MODULE)
    N, D, L = runs(40, 0.02, 0)
    for theta in (np.array([0.5, 6.0, 7.5, 0.3, 0.4]), np.array([0.0, 3.0, 9.0, 0.5, 0.2])):
        value, grad = impl.huber_objective(theta, N, D, L)
        ref = huber_objective(theta[None], np.log(N), np.log(D), np.log(L), np.ones((1, 40)), 1e-3)[0]
        assert value == pytest.approx(ref, rel=1e-10)
        numeric = scipy.optimize.approx_fprime(theta, lambda t: impl.huber_objective(t, N, D, L)[0], 1e-7)
        np.testing.assert_allclose(grad, numeric, rtol=1e-3, atol=1e-6)


@pytest.mark.grade(part="parametric", points=3)
def test_recovers_planted_constants(load_impl):
    impl = load_impl(MODULE)
    N, D, L = runs(60, 0.0, 1)
    fit = impl.fit_parametric(N, D, L)
    for name in ("E", "A", "B", "alpha", "beta"):
        assert fit[name] == pytest.approx(getattr(LAW, name), rel=1e-3), name


@pytest.mark.grade(part="parametric", points=2)
def test_noisy_fit_matches_course_lib(load_impl):
    impl = load_impl(MODULE)
    N, D, L = runs(100, 0.01, 2)
    fit = impl.fit_parametric(N, D, L)
    ref = fit_chinchilla(N, D, L).law
    assert fit["alpha"] == pytest.approx(ref.alpha, abs=2e-3)
    assert fit["beta"] == pytest.approx(ref.beta, abs=2e-3)
    assert fit["E"] == pytest.approx(ref.E, abs=5e-3)


@pytest.mark.grade(part="parametric", points=2)
def test_bootstrap_interval_covers_planted_exponents(load_impl):
    impl = load_impl(MODULE)
    N, D, L = runs(100, 0.01, 3)
    fit = impl.fit_parametric(N, D, L, bootstrap=40, seed=0)
    samples = np.asarray(fit["bootstrap"])
    assert samples.shape == (40, 5)
    for k, name in ((3, "alpha"), (4, "beta")):
        lo, hi = impl.interval(samples[:, k], 0.95)
        assert lo < getattr(LAW, name) < hi, (name, lo, hi)
        assert hi - lo < 0.2


@pytest.mark.grade(part="parametric", points=1)
def test_rejects_bad_input(load_impl):
    impl = load_impl(MODULE)
    N, D, L = runs(10, 0.01, 4)
    with pytest.raises(ValueError):
        impl.fit_parametric(N[:5], D[:5], L[:5])
    with pytest.raises(ValueError):
        impl.fit_parametric(N, D[:9], L)
    with pytest.raises(ValueError):
        impl.fit_parametric(N, D, -L)
