"""Gaussian-process marginal likelihood: value and gradient over its three
hyperparameters.

The negative log marginal likelihood of ``y`` under a GP with an RBF kernel
(log length scale, log signal variance, log noise variance), n = 500 points
in 3-D, written the way a user writes it: ``cholesky`` of the kernel matrix,
``solve_triangular`` for the whitened targets, ``slogdet`` for the
determinant. fntrans's ``value_and_grad`` against

- the floor: the same quantity with its gradient derived by hand in
  NumPy/SciPy (one Cholesky factorization, ``K^-1`` from it, and
  ``dL/dtheta = -1/2 tr((alpha alpha^T - K^-1) dK/dtheta)``);
- autograd and JAX (eager, no ``jit``) running the user's code, when installed.

Also the same user code with the log-determinant read off the Cholesky
factor (``2 sum log diag L``), which is how the floor computes it.

Run: ``python benchmarks/bench_gp.py``
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from harness import optional, report, seconds_per_call

import fntrans as ft
import fntrans.numpy as fnp
import fntrans.scipy.linalg

autograd = optional("autograd")
jax = optional("jax")
if jax is not None:
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")


def make_problem(n=500, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.sin(X.sum(axis=1)) + 0.1 * rng.standard_normal(n)
    sq_dists = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    theta = np.array([0.0, 0.3, np.log(0.1)])
    return sq_dists, y, theta


def user_nll(np_, linalg, sq_dists, y, theta, logdet_from_cholesky=False):
    """The likelihood as a user writes it, over any NumPy-like namespace."""
    log_ell, log_sf2, log_sn2 = theta[0], theta[1], theta[2]
    n = y.shape[0]
    K = np_.exp(log_sf2 - 0.5 * sq_dists * np_.exp(-2.0 * log_ell)) + np_.exp(log_sn2) * np_.eye(n)
    L = np_.linalg.cholesky(K)
    alpha = linalg.solve_triangular(L, y, lower=True)
    if logdet_from_cholesky:
        logdet = 2.0 * np_.sum(np_.log(np_.diagonal(L)))
    else:
        logdet = np_.linalg.slogdet(K)[1]
    return 0.5 * np_.dot(alpha, alpha) + 0.5 * logdet + 0.5 * n * np_.log(2 * np_.pi)


def floor_value_and_grad(sq_dists, y, theta):
    """The hand-derived value and gradient, one Cholesky factorization."""
    log_ell, log_sf2, log_sn2 = theta
    n = y.shape[0]
    K_signal = np.exp(log_sf2 - 0.5 * sq_dists * np.exp(-2.0 * log_ell))
    K = K_signal + np.exp(log_sn2) * np.eye(n)
    factor = scipy.linalg.cho_factor(K, lower=True)
    alpha = scipy.linalg.cho_solve(factor, y)
    logdet = 2.0 * np.sum(np.log(np.diag(factor[0])))
    value = 0.5 * y @ alpha + 0.5 * logdet + 0.5 * n * np.log(2 * np.pi)
    # dnll/dK = -1/2 (alpha alpha^T - K^-1)
    W = 0.5 * (scipy.linalg.cho_solve(factor, np.eye(n)) - np.outer(alpha, alpha))
    grad = np.array(
        [
            np.sum(W * K_signal * sq_dists) * np.exp(-2.0 * log_ell),
            np.sum(W * K_signal),
            np.trace(W) * np.exp(log_sn2),
        ]
    )
    return value, grad


def main():
    sq_dists, y, theta = make_problem()
    value, grad = floor_value_and_grad(sq_dists, y, theta)

    def fntrans_fn(logdet_from_cholesky):
        return ft.value_and_grad(
            lambda t: user_nll(fnp, fntrans.scipy.linalg, sq_dists, y, t, logdet_from_cholesky)
        )

    timings = {
        "numpy/scipy floor (by hand)": seconds_per_call(
            lambda: floor_value_and_grad(sq_dists, y, theta)
        )
    }
    for label, from_chol in [("slogdet", False), ("logdet from L", True)]:
        f = fntrans_fn(from_chol)
        v, g = f(theta)
        np.testing.assert_allclose(v, value, rtol=1e-10)
        np.testing.assert_allclose(g, grad, rtol=1e-7)
        timings[f"fntrans ({label})"] = seconds_per_call(lambda f=f: f(theta))
    if autograd is not None:
        import autograd.numpy as anp
        import autograd.scipy.linalg as alinalg

        f = autograd.value_and_grad(lambda t: user_nll(anp, alinalg, sq_dists, y, t))
        v, g = f(theta)
        np.testing.assert_allclose(g, grad, rtol=1e-7)
        timings["autograd (slogdet)"] = seconds_per_call(lambda: f(theta))
    if jax is not None:
        import jax.numpy as jnp
        import jax.scipy.linalg as jlinalg

        f = jax.value_and_grad(lambda t: user_nll(jnp, jlinalg, sq_dists, y, t))
        v, g = f(theta)
        np.testing.assert_allclose(g, grad, rtol=1e-7)
        timings["jax eager (slogdet)"] = seconds_per_call(lambda: jax.block_until_ready(f(theta)))
    report(
        f"GP marginal likelihood, n = {y.shape[0]}: value_and_grad over 3 hyperparameters",
        timings,
        "numpy/scipy floor (by hand)",
    )


if __name__ == "__main__":
    main()
