"""The probit function (inverse normal CDF) as a new primitive, and a probit regression with it.

Shows: autograd's way of adding a function that fntrans cannot trace into
(here SciPy's C routine scipy.special.ndtri): fntrans.extend.primitive runs the
body on plain arrays, and fntrans.extend.defvjp gives its reverse-mode rule,

    d/dp ndtri(p) = 1 / phi(ndtri(p)) = sqrt(2 pi) exp(ndtri(p)^2 / 2),

written with fntrans.numpy and the primitive's output ``ans``, so it can be
differentiated again; defjvp gives the same rule to forward mode. The rule is
checked against finite differences (check_grads, both modes, second order).

Then a probit regression in the style of Bliss's probit analysis of
dose-response data: at each log-dose x_g, n_g subjects, k_g respond. The
classical method regresses probit(k_g / n_g) on x_g, which breaks when a
group has k = 0 or k = n (probit(0) = -inf). Here each group's response
probability p_g is a parameter, with a binomial likelihood, and the model
says probit(p_g) ~ Normal(a + b x_g, s^2) (a probit-normal model, which
allows for extra-binomial variation). The MAP fit by Adam needs the
gradient of probit(p_g) with respect to p_g, from the rule above. The
figure shows the fitted curve against the data, on the probability scale and
on the probit scale, where the model is a straight line.

Run: python examples/probit.py
"""

from __future__ import annotations

import numpy as np
import scipy.special
from _plotting import pyplot, save

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.extend import defjvp, defvjp, primitive
from fntrans.optimizers import adam
from fntrans.test_util import check_grads


@primitive
def probit(p):
    """The inverse of the standard normal CDF, elementwise, for p in (0, 1)."""
    return scipy.special.ndtri(p)


def _dprobit(ans):
    # 1 / phi(ans), with phi the standard normal density
    return np.sqrt(2 * np.pi) * fnp.exp(ans**2 / 2)


defvjp(probit, lambda ans, p: lambda g: g * _dprobit(ans))
defjvp(probit, lambda g, ans, p: g * _dprobit(ans))


def make_assay(rng, a=-0.4, b=1.5, s=0.3, n=20):
    """Responders k out of n at each log-dose, with probit(p) = a + b x + s * noise."""
    doses = np.linspace(-2.0, 2.0, 9)
    p = scipy.special.ndtr(a + b * doses + s * rng.standard_normal(doses.shape))
    return doses, np.full(doses.shape, n), rng.binomial(n, p)


def sigmoid(theta):
    return 0.5 * (fnp.tanh(theta / 2) + 1.0)


def negative_log_posterior(params, x, n, k, s=0.3):
    p = sigmoid(params["theta"])  # keeps every p_g inside (0, 1)
    log_likelihood = fnp.sum(k * fnp.log(p) + (n - k) * fnp.log(1.0 - p))
    line = params["a"] + params["b"] * x
    return -log_likelihood + fnp.sum((probit(p) - line) ** 2) / (2 * s**2)


def classical_probit_line(x, n, k):
    """Least squares on the empirical probits, with the 0.5 correction for k = 0 or n."""
    p_hat = np.clip(k / n, 0.5 / n, 1 - 0.5 / n)
    b, a = np.polyfit(x, scipy.special.ndtri(p_hat), 1)
    return a, b


def plot(x, n, k, params, a_classical, b_classical, true_a=-0.4, true_b=1.5):
    plt = pyplot()
    if plt is None:
        return
    grid = np.linspace(x.min() - 0.3, x.max() + 0.3, 200)
    p_map = 0.5 * (np.tanh(params["theta"] / 2) + 1.0)
    lines = (
        (params["a"], params["b"], "-", "tab:blue", "probit-normal MAP fit (Adam)"),
        (a_classical, b_classical, "--", "tab:green", "classical probit line"),
        (true_a, true_b, ":", "k", "true line"),
    )
    fig, (ax_p, ax_z) = plt.subplots(1, 2, figsize=(11, 4.3))
    for a, b, style, colour, label in lines:
        ax_p.plot(grid, scipy.special.ndtr(a + b * grid), style, color=colour, label=label)
        ax_z.plot(grid, a + b * grid, style, color=colour, label=label)
    ax_p.plot(x, k / n, "o", color="tab:red", label=f"observed k / n (n = {n[0]})")
    ax_p.plot(x, p_map, "x", color="tab:blue", label="fitted group probabilities $p_g$")
    ax_p.set(
        title="Dose-response curve",
        xlabel="log dose",
        ylabel="probability of response",
        ylim=(-0.03, 1.03),
    )
    ax_p.legend(fontsize="small")
    # k = 0 or k = n has an infinite empirical probit: show the clipped value it is given
    p_hat = np.clip(k / n, 0.5 / n, 1 - 0.5 / n)
    ax_z.plot(x, scipy.special.ndtri(p_hat), "o", color="tab:red", label="probit(k / n), clipped")
    ax_z.plot(x, probit(p_map), "x", color="tab:blue", label="probit($p_g$)")
    ax_z.set(
        title="On the probit scale the model is a line",
        xlabel="log dose",
        ylabel="probit(probability)  (standard normal quantile)",
    )
    ax_z.legend(fontsize="small")
    ax_z.grid(alpha=0.3)
    fig.suptitle("Probit regression of a dose-response assay (probit as a new primitive)")
    save(fig, "probit")


def main(num_iters=1500, step_size=0.05):
    p = np.array([0.001, 0.1, 0.5, 0.8, 0.999])
    check_grads(probit, (p,), order=2, eps=1e-7)
    fd = (probit(p + 1e-6) - probit(p - 1e-6)) / 2e-6
    print(f"d probit / dp:       {ft.elementwise_grad(probit)(p)}")
    print(f"finite differences:  {fd}")
    print("gradient check passed (fwd and rev, order 2)")

    rng = np.random.default_rng(1)
    x, n, k = make_assay(rng)
    print(f"log-doses {x}\nresponders {k} out of {n[0]}")
    p0 = (k + 0.5) / (n + 1.0)
    params = {"theta": np.log(p0 / (1 - p0)), "a": 0.0, "b": 0.0}
    initial = negative_log_posterior(params, x, n, k)

    def objective_grad(params, i):
        return ft.grad(negative_log_posterior)(params, x, n, k)

    def callback(params, i, g):
        if i % max(1, num_iters // 5) == 0:
            loss = negative_log_posterior(params, x, n, k)
            a, b = params["a"], params["b"]
            print(f"iteration {i:5d}  -log posterior {loss:9.4f}  a {a:.3f}  b {b:.3f}")

    params = adam(objective_grad, params, callback, num_iters=num_iters, step_size=step_size)
    final = negative_log_posterior(params, x, n, k)
    a_classical, b_classical = classical_probit_line(x, n, k)
    print(f"fitted probit line: a = {params['a']:.3f}, b = {params['b']:.3f} (true -0.4, 1.5)")
    print(f"classical probits:  a = {a_classical:.3f}, b = {b_classical:.3f}")
    plot(x, n, k, params, a_classical, b_classical)
    return {"initial": initial, "final": final, "a": params["a"], "b": params["b"]}


if __name__ == "__main__":
    main()
