"""Hessian-vector products at d = 50000, without forming the 50000 x 50000 Hessian.

Shows: ft.hvp(f, (x,), (v,)) (autograd's hessian_vector_product(f)(x, v)),
computed forward-over-reverse in a few times the cost of ft.grad, checked
against the analytic value for f(x) = sum_i A[i, :] @ sin(x), whose Hessian
is diagonal: H v = -sin(x) * A.sum(axis=0) * v. The full Hessian would take
d * d * 8 bytes = 20 GB. At a small d, ft.hessian(f)(x) @ v agrees too.
f is written as in the tutorial this comes from, with a list comprehension
summed by fnp.sum.

Then the use that needs nothing but H v: Newton-CG (scipy.optimize.minimize
with hessp=), whose Newton steps are solved by conjugate gradients from
Hessian-vector products alone, on an L2-regularized logistic regression with
correlated, badly scaled features. The figure shows its path in 2-D against
L-BFGS (gradients only) and gradient descent, and how fast each converges
with 500 weights.

Run: python examples/hessian_vector_product.py
"""

from __future__ import annotations

import time

import numpy as np
import scipy.optimize
from _plotting import pyplot, save

import fntrans as ft
import fntrans.numpy as fnp


def make_f(A):
    def f(x):
        return fnp.sum([A[i, :] @ fnp.sin(x.reshape(-1, 1)) for i in range(A.shape[0])])

    return f


def analytic_hvp(A, x, v):
    return -np.sin(x) * A.sum(axis=0) * v


def best_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def make_classification(rng, n, d, correlation=0.95):
    """Labels +-1 from a linear rule on correlated features of very different scales."""
    covariance = correlation * np.ones((d, d)) + (1 - correlation) * np.eye(d)
    scales = np.geomspace(1.0, 10.0, d)
    X = rng.standard_normal((n, d)) @ np.linalg.cholesky(covariance).T * scales
    w = rng.standard_normal(d) / scales
    return X, np.where(X @ w + 0.5 * rng.standard_normal(n) > 0, 1.0, -1.0)


def logistic_loss(w, X, y, penalty=1e-2):
    """L2-regularized logistic loss: convex, but badly conditioned on such features."""
    return fnp.mean(fnp.logaddexp(0.0, -y * (X @ w))) + 0.5 * penalty * fnp.sum(w * w)


def minimize_paths(X, y, gd_steps=300):
    """Iterates of Newton-CG (ft.grad and ft.hvp), L-BFGS (ft.grad) and gradient descent,
    and the number of Hessian-vector products Newton-CG used."""
    grad = ft.grad(logistic_loss)
    hvp_count = 0

    def hessp(w, v, X, y):  # scipy passes args=(X, y) on
        nonlocal hvp_count
        hvp_count += 1
        return ft.hvp(lambda w: logistic_loss(w, X, y), (w,), (v,))[0]

    w0 = np.zeros(X.shape[1])
    paths = {}
    for method, options in (
        ("Newton-CG", {"xtol": 1e-12}),
        ("L-BFGS-B", {"gtol": 1e-12, "ftol": 1e-16}),
    ):
        path = [w0]
        scipy.optimize.minimize(
            logistic_loss,
            w0,
            args=(X, y),
            jac=grad,
            hessp=hessp if method == "Newton-CG" else None,
            method=method,
            callback=lambda wk, path=path: path.append(np.array(wk)),
            options={"maxiter": 500, **options},
        )
        paths[method] = np.array(path)
    # gradient descent with step 1 / L, where L = |X|_2^2 / (4 n) + penalty bounds
    # the Hessian's largest eigenvalue: the step its convergence proof asks for
    step = 1.0 / (np.linalg.norm(X, 2) ** 2 / (4 * len(y)) + 1e-2)
    path = [w0]
    for _ in range(gd_steps):
        path.append(path[-1] - step * grad(path[-1], X, y))
    paths["gradient descent"] = np.array(path)
    return paths, hvp_count


LABELS = {
    "Newton-CG": "Newton-CG (ft.grad + ft.hvp)",
    "L-BFGS-B": "L-BFGS (ft.grad only)",
    "gradient descent": "gradient descent, step 1/L",
}
COLOURS = {"Newton-CG": "tab:red", "L-BFGS-B": "tab:blue", "gradient descent": "tab:orange"}


def plot(X2, y2, paths_2d, X, y, paths, hvp_count):
    plt = pyplot()
    if plt is None:
        return
    from matplotlib.colors import LogNorm

    fig, (ax_path, ax_conv) = plt.subplots(1, 2, figsize=(12.5, 4.8), layout="constrained")
    points = np.concatenate(list(paths_2d.values()))
    lo, hi = points.min(axis=0), points.max(axis=0)
    margin = 0.15 * (hi - lo)
    g0, g1 = np.meshgrid(
        np.linspace(lo[0] - margin[0], hi[0] + margin[0], 150),
        np.linspace(lo[1] - margin[1], hi[1] + margin[1], 150),
    )
    grid = np.stack([g0.ravel(), g1.ravel()], axis=1)
    values = ft.vmap(logistic_loss, in_axes=(0, None, None))(grid, X2, y2).reshape(g0.shape)
    # log-spaced levels show the narrow valley that gradient descent crawls along
    levels = np.geomspace(values.min(), values.max(), 25)
    shading = ax_path.contourf(
        g0, g1, values, levels=levels, norm=LogNorm(), cmap="viridis_r", alpha=0.85
    )
    ax_path.contour(g0, g1, values, levels=levels, colors="k", linewidths=0.3)
    colour_bar = fig.colorbar(
        shading,
        ax=ax_path,
        ticks=np.geomspace(levels[0], levels[-1], 6),
        format="%.2f",
        label="loss (mean log-loss + L2 penalty, nats)",
    )
    colour_bar.minorticks_off()
    for method in ("gradient descent", "L-BFGS-B", "Newton-CG"):
        path = paths_2d[method]
        ax_path.plot(
            path[:, 0],
            path[:, 1],
            "o-",
            ms=3,
            lw=1.2,
            color=COLOURS[method],
            label=f"{LABELS[method]}: {len(path) - 1} steps",
        )
    w_end = paths_2d["Newton-CG"][-1]
    ax_path.plot(*w_end, "w*", ms=14, mec="k", label="minimum")
    ax_path.set(
        title="Paths from w = 0 on a 2-weight problem",
        xlabel="weight $w_1$",
        ylabel="weight $w_2$",
    )
    ax_path.legend(loc="lower right", fontsize="small")

    for method, path in paths.items():
        norms = [np.linalg.norm(ft.grad(logistic_loss)(w, X, y)) for w in path]
        label = LABELS[method]
        if method == "Newton-CG":
            label += f" ({hvp_count} H v products)"
        ax_conv.semilogy(norms, "o-", ms=2, lw=1, color=COLOURS[method], label=label)
    ax_conv.set(
        title=f"Convergence with d = {X.shape[1]} weights (Hessian never formed)",
        xlabel="iteration",
        ylabel="gradient norm $|\\nabla f(w_k)|$",
    )
    ax_conv.legend(fontsize="small")
    ax_conv.grid(alpha=0.3, which="both")
    fig.suptitle("Newton-CG on regularized logistic regression: Hessian-vector products only")
    save(fig, "hessian_vector_product")


def main(d=50000, repeats=5, small_d=100, newton_d=500):
    rng = np.random.default_rng(123)
    A = rng.random((10, d))
    x = 2.0 * np.ones(d)
    v = rng.random(d)
    f = make_f(A)

    hv = ft.hvp(f, (x,), (v,))[0]
    error = np.max(np.abs(hv - analytic_hvp(A, x, v))) / np.max(np.abs(hv))
    print(f"d = {d}: max relative difference from the analytic H v: {error:.2e}")

    grad_time = best_time(lambda: ft.grad(f)(x), repeats)
    hvp_time = best_time(lambda: ft.hvp(f, (x,), (v,)), repeats)
    print(
        f"grad {1e3 * grad_time:.1f} ms, hvp {1e3 * hvp_time:.1f} ms "
        f"({hvp_time / grad_time:.1f} x grad; best of {repeats})"
    )

    small_f, small_x, small_v = make_f(A[:, :small_d]), x[:small_d], v[:small_d]
    dense = ft.hessian(small_f)(small_x) @ small_v
    small_error = np.max(np.abs(dense - ft.hvp(small_f, (small_x,), (small_v,))[0]))
    print(f"d = {small_d}: hessian(f)(x) @ v vs hvp: max difference {small_error:.2e}")

    X2, y2 = make_classification(rng, 300, 2)
    paths_2d, _ = minimize_paths(X2, y2)
    X, y = make_classification(rng, 4 * newton_d, newton_d)
    paths, hvp_count = minimize_paths(X, y)
    for method, path in paths.items():
        gradient_norm = np.linalg.norm(ft.grad(logistic_loss)(path[-1], X, y))
        print(
            f"logistic regression, d = {newton_d}: {method} ends at gradient norm "
            f"{gradient_norm:.1e} after {len(path) - 1} iterations"
        )
    print(f"Newton-CG used {hvp_count} Hessian-vector products")
    plot(X2, y2, paths_2d, X, y, paths, hvp_count)

    return error, small_error, hvp_time / grad_time


if __name__ == "__main__":
    main()
