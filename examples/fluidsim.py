"""Backpropagating through a fluid simulation to choose its initial velocity.

Shows: a differentiable 2-D smoke simulation on a periodic grid, after
autograd's examples/fluidsim/fluidsim.py (itself after Jos Stam's "Real-time
fluid dynamics for games"): semi-Lagrangian advection, where each cell looks
back along the velocity and bilinearly interpolates the four surrounding
cells through integer index arrays (fnp.floor(...).astype(int): integer
results carry no derivative, the interpolation weights do), and projection
onto a nearly divergence-free field by a few Jacobi iterations of the
pressure Poisson equation, with fnp.roll for the neighbours. Array updates
are written in place (vx -= ...), as in NumPy. ft.value_and_grad gives the
loss and its gradient with respect to all 2 x 32 x 32 initial velocities in
one pass through the 20-step simulation (checked against ft.jvp and finite
differences along a random direction), and scipy.optimize.minimize (conjugate
gradients, as in autograd's example) uses them to push a blob of smoke onto
a target pattern.

Run: python examples/fluidsim.py
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
from _plotting import pyplot, save

import fntrans as ft
import fntrans.numpy as fnp


def difference(f, axis):
    """f[i + 1] - f[i - 1] along axis, on the periodic grid."""
    return fnp.roll(f, -1, axis=axis) - fnp.roll(f, 1, axis=axis)


def project(vx, vy, iterations=10):
    """Makes the velocity field nearly mass-conserving (divergence-free)."""
    h = 1.0 / vx.shape[0]
    div = -0.5 * h * (difference(vx, axis=0) + difference(vy, axis=1))
    p = fnp.zeros(vx.shape)
    for _ in range(iterations):
        neighbours = sum(fnp.roll(p, shift, axis=axis) for shift in (1, -1) for axis in (0, 1))
        p = (div + neighbours) / 4.0
    vx -= 0.5 * difference(p, axis=0) / h
    vy -= 0.5 * difference(p, axis=1) / h
    return vx, vy


def advect(f, vx, vy):
    """Moves the field f along the velocity (vx down the rows, vy along the columns)."""
    rows, cols = f.shape
    cell_rows, cell_cols = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    # where the fluid now in each cell was one time step ago
    source_rows = (cell_rows - vx).ravel()
    source_cols = (cell_cols - vy).ravel()
    top = fnp.floor(source_rows).astype(int)
    left = fnp.floor(source_cols).astype(int)
    down_weight = source_rows - top  # the weights carry the derivative
    right_weight = source_cols - left
    top, bottom = np.mod(top, rows), np.mod(top + 1, rows)  # periodic boundaries
    left, right = np.mod(left, cols), np.mod(left + 1, cols)
    upper = (1 - right_weight) * f[top, left] + right_weight * f[top, right]
    lower = (1 - right_weight) * f[bottom, left] + right_weight * f[bottom, right]
    flat = (1 - down_weight) * upper + down_weight * lower
    return flat.reshape(rows, cols)


def simulate(vx, vy, smoke, num_time_steps):
    for _ in range(num_time_steps):
        vx_updated = advect(vx, vx, vy)
        vy_updated = advect(vy, vx, vy)
        vx, vy = project(vx_updated, vy_updated)
        smoke = advect(smoke, vx, vy)
    return smoke


def blob(size, row, col, width):
    r, c = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    return np.exp(-((r - row) ** 2 + (c - col) ** 2) / (2 * width**2))


def make_problem(size=32):
    """One blob of smoke in the middle; the target is two blobs near the top corners."""
    init_smoke = blob(size, size / 2, size / 2, size / 8)
    corners = [blob(size, size / 4, col, size / 10) for col in (size / 4, 3 * size / 4)]
    target = 0.6 * sum(corners)
    return init_smoke, target


def plot(init_smoke, final_smoke, target, vx, vy, losses):
    plt = pyplot()
    if plt is None:
        return
    fig, axes = plt.subplots(1, 4, figsize=(15, 4), layout="constrained")
    limit = max(init_smoke.max(), final_smoke.max(), target.max())
    panels = (
        (init_smoke, "start, with the initial velocity found"),
        (final_smoke, "after the simulation"),
        (target, "target"),
    )
    for ax, (image, title) in zip(axes, panels):
        shown = ax.imshow(image, cmap="gray_r", vmin=0.0, vmax=limit)
        ax.set(title=title, xlabel="column (grid cells)")
    axes[0].set_ylabel("row (grid cells)")
    fig.colorbar(shown, ax=list(axes[:3]), label="smoke density", shrink=0.9)
    # the initial velocity that the gradient found, every second cell; vx runs down
    # the rows (the image's y axis) and vy along the columns (its x axis)
    every = slice(None, None, 2)
    rows, cols = np.mgrid[0 : vx.shape[0] : 2, 0 : vx.shape[1] : 2]
    arrows = axes[0].quiver(
        cols,
        rows,
        vy[every, every],
        vx[every, every],
        color="tab:red",
        angles="xy",
        scale_units="xy",
        scale=0.5,
        width=0.004,
    )
    axes[0].quiverkey(
        arrows,
        0.45,
        0.05,
        1.0,
        "velocity 1 cell / step",
        labelpos="E",
        coordinates="axes",
        color="tab:red",
        fontproperties={"size": 8},
    )
    axes[3].semilogy(losses, "o-", ms=3)
    axes[3].set(
        title="Optimization (conjugate gradients)",
        xlabel="CG iteration",
        ylabel="mean squared distance from target",
    )
    axes[3].grid(alpha=0.3, which="both")
    fig.suptitle(
        "Choosing a fluid's initial velocity by backpropagating through 20 simulation steps"
    )
    save(fig, "fluidsim")


def main(num_iters=25, size=32, num_time_steps=20):
    init_smoke, target = make_problem(size)

    def unpack(params):
        return params[: size * size].reshape(size, size), params[size * size :].reshape(size, size)

    def objective(params):
        vx, vy = unpack(params)
        final_smoke = simulate(vx, vy, init_smoke, num_time_steps)
        return fnp.mean((target - final_smoke) ** 2)

    objective_with_grad = ft.value_and_grad(objective)
    # a small random start: at zero velocity every cell samples exactly at a
    # whole-cell position, on the kinks of bilinear interpolation
    params = 0.01 * np.random.default_rng(0).standard_normal(2 * size * size)
    losses = [float(objective(params))]
    print(f"initial distance from target {losses[0]:.6f}")

    # the gradient along a random direction, against forward mode and a central
    # difference (whose step stays small: bilinear interpolation has kinks at
    # whole-cell positions, and a larger step crosses some of them)
    direction = np.random.default_rng(1).standard_normal(params.shape)
    eps = 1e-7
    step = eps * direction
    numerical = (objective(params + step) - objective(params - step)) / (2 * eps)
    directional = objective_with_grad(params)[1] @ direction
    forward = ft.jvp(objective, (params,), (direction,))[1]
    print(
        f"directional derivative: reverse mode {directional:.8e}, forward mode {forward:.8e}, "
        f"finite differences {numerical:.8e}"
    )

    def callback(params):
        losses.append(float(objective(params)))
        print(f"iteration {len(losses) - 1:3d}  distance from target {losses[-1]:.6f}")

    result = scipy.optimize.minimize(
        objective_with_grad,
        params,
        jac=True,
        method="CG",
        options={"maxiter": num_iters},
        callback=callback,
    )
    vx, vy = unpack(result.x)
    final_smoke = simulate(vx, vy, init_smoke, num_time_steps)
    plot(init_smoke, final_smoke, target, vx, vy, losses)
    return losses, directional, forward, numerical


if __name__ == "__main__":
    main()
