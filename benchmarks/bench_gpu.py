"""fntrans on a GPU (CuPy), eager and jitted, against PyTorch CUDA eager and JAX GPU jit.

Workloads, all in float32:

mlp       value_and_grad of a 4096-4096-4096-10 tanh MLP, batch 1024, softmax
          cross-entropy, parameters in a list of dicts
jacobian  the Jacobian of ``tanh(W @ x + b) * x`` at n = 2000, by jacrev and by
          jacfwd (each against the same mode of the other libraries)
rnn       grad of a tanh RNN (50 steps unrolled by a Python loop, batch 256,
          input 512, hidden 512; loss = sum of squares of the last state)
          w.r.t. its weights

Implementations, each where installed (a missing one is left out with a note):
fntrans eager (the transform called on CuPy arrays, ``ft.device_put(tree,
"gpu")``); fntrans jit (``ft.jit`` of the whole derivative function, e.g.
``ft.jit(ft.value_and_grad(loss))``); fntrans jit fusion (the same with
``ft.config.update("fusion", "auto")``: elementwise chains as CuPy kernels);
PyTorch CUDA eager (``torch.func``); JAX GPU jit (``jax.jit``). Every library
runs the same loss function, written once against a NumPy-like namespace.
Matrix products are full float32 everywhere (no TF32): CuPy's default, and
set for PyTorch (``allow_tf32 = False``) and JAX (``jax_default_matmul_precision
= "highest"``).

Method: each implementation is first run (tracing and compiling) and its
results are checked against fntrans eager (``assert_allclose``, rtol 1e-3 and
atol 1e-4 times the largest magnitude, every output float32); one that raises
or disagrees is listed as FAILED and the script exits with 1. The checked
implementations are then timed in turn: blocks of calls, the device
synchronized at the end of each block (``cupy.cuda.Device().synchronize()``,
``torch.cuda.synchronize()``, ``jax.block_until_ready``), block lengths fixed
by calls lasting ``--min-time / --repeats`` (which also warm up), and the
median over ``--repeats`` blocks. Ratios are quotients of times from this one
run. The "ops" column is the number of equations of the fntrans jit program
(after fusion where it is on): each is one CuPy call of one or a few kernel
launches. Kernel launches themselves are not counted (CuPy has no cheap
counter); ``nsys profile --stats=true python benchmarks/bench_gpu.py --only
mlp`` counts them.

Targets: fntrans eager within 1.2x of PyTorch CUDA eager on the MLP; fntrans
jit within 1.1x of JAX GPU jit on the MLP, and faster than PyTorch CUDA eager
on the RNN.

Running it, on a machine with an NVIDIA GPU (``nvidia-smi`` shows the CUDA
version of the driver)::

    pip install -e '.[cuda12]'     # CuPy for CUDA 12 ('.[cuda13]' for CUDA 13)
    pip install torch              # optional: the PyTorch CUDA rows
    pip install 'jax[cuda12]'      # optional: the JAX GPU rows
    python benchmarks/bench_gpu.py [--only mlp,rnn,jacobian] [--min-time S] [--repeats N]

Without a GPU it says what is missing and exits with 0. ``--dry-run`` runs
every workload on NumPy (PyTorch and JAX on the CPU) with tiny sizes: it
checks the code paths anywhere; its times and verdicts mean nothing.
"""

from __future__ import annotations

import os

# JAX would otherwise take 75% of the GPU's memory at start, starving CuPy and PyTorch
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from types import SimpleNamespace

import numpy as np
from harness import optional

import fntrans as ft
import fntrans.numpy as fnp

RTOL = 1e-3
ATOL = 1e-4  # times the largest magnitude of the expected output
INSTALL_HINT = (
    "On a machine with an NVIDIA GPU install CuPy for its CUDA version "
    "(pip install 'fntrans[cuda12]' or 'fntrans[cuda13]'; nvidia-smi shows the version) "
    "and run python benchmarks/bench_gpu.py again; "
    "python benchmarks/bench_gpu.py --dry-run checks the code paths on NumPy without a GPU."
)


@dataclass(frozen=True)
class Sizes:
    mlp_batch: int
    mlp_widths: tuple[int, ...]
    jacobian_n: int
    rnn_steps: int
    rnn_batch: int
    rnn_input: int
    rnn_hidden: int


GPU_SIZES = Sizes(1024, (4096, 4096, 4096, 10), 2000, 50, 256, 512, 512)
DRY_RUN_SIZES = Sizes(8, (16, 12, 12, 10), 10, 4, 4, 6, 8)


# ---- the libraries ----


@dataclass
class Library:
    """How one library's arrays are made, waited for and read back."""

    put: Callable  # a pytree of NumPy arrays -> the library's arrays on its device
    sync: Callable  # the output of a call -> None, once the device has finished
    host: Callable  # one output leaf -> a NumPy array


@dataclass
class Platform:
    """The libraries found, on the GPU (or, in a dry run, the CPU)."""

    dry_run: bool
    fntrans: Library
    xp: object  # the array module fntrans runs on: CuPy, or NumPy in a dry run
    torch: object = None
    torch_lib: Library | None = None
    jax: object = None
    jax_lib: Library | None = None
    notes: list[str] = field(default_factory=list)

    def release_memory(self) -> None:
        """Hands cached device memory back between workloads."""
        if self.xp is not np:
            self.xp.get_default_memory_pool().free_all_blocks()
        if self.torch is not None and not self.dry_run:
            self.torch.cuda.empty_cache()


def find_cupy() -> tuple[object, str | None]:
    """CuPy with a GPU, or None and what is missing."""
    try:
        import cupy
    except ImportError:
        return None, "CuPy is not installed"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None, "CuPy is installed but sees no CUDA GPU"
    except Exception as e:  # no driver, no device
        return None, f"CuPy is installed but CUDA is unavailable ({e})"
    return cupy, None


def fntrans_library(cupy) -> Library:
    if cupy is None:
        return Library(put=lambda tree: tree, sync=lambda out: None, host=np.asarray)
    return Library(
        put=lambda tree: ft.device_put(tree, "gpu"),
        sync=lambda out: cupy.cuda.Device().synchronize(),
        host=lambda leaf: np.asarray(ft.device_put(leaf, "cpu")),
    )


def load_torch(platform: Platform) -> None:
    torch = optional("torch")
    if torch is None:
        platform.notes.append("PyTorch is not installed: its rows are left out (pip install torch)")
        return
    if platform.dry_run:
        device, sync = "cpu", lambda out: None
    elif not torch.cuda.is_available():
        platform.notes.append(
            "PyTorch has no CUDA here: its rows are left out (install a CUDA build of torch)"
        )
        return
    else:
        device, sync = "cuda", lambda out: torch.cuda.synchronize()
        torch.backends.cuda.matmul.allow_tf32 = False  # full float32, as CuPy
        torch.backends.cudnn.allow_tf32 = False
    platform.torch = torch
    platform.torch_lib = Library(
        put=lambda tree: ft.tree.tree_map(lambda a: torch.from_numpy(a).to(device), tree),
        sync=sync,
        host=lambda leaf: leaf.detach().cpu().numpy(),
    )


def load_jax(platform: Platform) -> None:
    jax = optional("jax")
    if jax is None:
        platform.notes.append("JAX is not installed: its rows are left out (pip install jax)")
        return
    jax.config.update("jax_default_matmul_precision", "highest")  # full float32, as CuPy
    if platform.dry_run:
        jax.config.update("jax_platforms", "cpu")
        device = jax.devices("cpu")[0]
    else:
        try:
            device = jax.devices("gpu")[0]
        except RuntimeError:
            platform.notes.append(
                "JAX has no GPU backend here: its rows are left out (pip install 'jax[cuda12]')"
            )
            return
    platform.jax = jax
    platform.jax_lib = Library(
        put=lambda tree: jax.device_put(tree, device),
        sync=jax.block_until_ready,
        host=np.asarray,
    )


def make_platform(dry_run: bool) -> Platform | None:
    """The platform to measure on; None (after saying why) without a GPU."""
    if dry_run:
        platform = Platform(True, fntrans_library(None), np)
        platform.notes.append(
            "dry run: NumPy and the CPU, tiny sizes; times and verdicts mean nothing"
        )
    else:
        cupy, missing = find_cupy()
        if cupy is None:
            print(f"bench_gpu: no GPU to measure on: {missing}.\n{INSTALL_HINT}")
            return None
        platform = Platform(False, fntrans_library(cupy), cupy)
        name = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"]
        platform.notes.append(
            f"GPU: {name.decode() if isinstance(name, bytes) else name}, CuPy {cupy.__version__}"
        )
    load_torch(platform)
    load_jax(platform)
    for module in (platform.torch, platform.jax):
        if module is not None:
            platform.notes.append(f"{module.__name__} {module.__version__}")
    return platform


def torch_namespace(torch) -> SimpleNamespace:
    """The few NumPy functions the losses call, on torch tensors."""

    def reduce(op, everything):
        def fn(x, axis=None, keepdims=False):
            return everything(x) if axis is None else op(x, dim=axis, keepdim=keepdims)

        return fn

    return SimpleNamespace(
        tanh=torch.tanh,
        exp=torch.exp,
        log=torch.log,
        sum=reduce(torch.sum, torch.sum),
        max=reduce(torch.amax, torch.max),
    )


# ---- checking and timing ----


@dataclass
class Row:
    label: str
    variant: str = ""
    seconds: float | None = None
    ops: int | None = None
    error: str | None = None


@dataclass
class Workload:
    """One workload's rows: each implementation is checked as it is added
    (against the first, fntrans eager), then all are timed in turn."""

    key: str
    title: str
    min_time: float
    repeats: int
    rows: list[Row] = field(default_factory=list)
    expected: dict[str, list] = field(default_factory=dict)  # per variant
    calls: dict[int, tuple[Callable, Callable]] = field(default_factory=dict)

    def measure(
        self,
        label: str,
        library: Library,
        build: Callable[[], Callable[[], object]],
        variant: str = "",
        ops: Callable[[], int] | None = None,
    ) -> None:
        """Runs ``build()`` (the function to time, of no arguments) once and
        checks its outputs; ``ops`` counts the equations of a jit program."""
        row = Row(label, variant)
        self.rows.append(row)
        try:
            call = build()
            out = call()
            library.sync(out)
            got = [library.host(leaf) for leaf in ft.tree.tree_leaves(out)]
            reference = self.expected.setdefault(variant, got)
            row.error = disagreement(got, reference)
            if row.error is None:
                row.ops = ops() if ops is not None else None
                self.calls[id(row)] = (call, library.sync)
        except Exception as e:  # a failing implementation is reported, the others still run
            message = str(e).splitlines()[0] if str(e) else ""
            row.error = f"{type(e).__name__}: {message}"[:160]

    def time_all(self) -> None:
        """Times every checked implementation: the median over ``repeats``
        blocks, the blocks of all implementations taken in turn."""
        rows = [row for row in self.rows if id(row) in self.calls]
        block_time = self.min_time / self.repeats
        numbers = {id(row): calls_per_block(*self.calls[id(row)], block_time) for row in rows}
        samples = {id(row): [] for row in rows}
        for _ in range(self.repeats):
            for row in rows:
                samples[id(row)].append(block_seconds(*self.calls[id(row)], numbers[id(row)]))
        for row in rows:
            row.seconds = statistics.median(samples[id(row)])
        self.calls.clear()

    def find(self, label: str, variant: str = "") -> Row | None:
        for row in self.rows:
            if row.label == label and row.variant == variant:
                return row
        return None


def disagreement(got: list, expected: list) -> str | None:
    """What is wrong with outputs ``got`` against ``expected`` (float32
    tolerances), or None."""
    if len(got) != len(expected):
        return f"returned {len(got)} arrays, fntrans eager {len(expected)}"
    for i, (a, b) in enumerate(zip(got, expected)):
        if a.dtype != np.float32:
            return f"output {i} is {a.dtype}, not float32"
        if a.shape != b.shape:
            return f"output {i} has shape {a.shape}, fntrans eager's {b.shape}"
        scale = float(np.max(np.abs(b))) if b.size else 0.0
        if not np.allclose(a, b, rtol=RTOL, atol=ATOL * scale):
            error = float(np.max(np.abs(a - b)))
            return f"output {i} disagrees with fntrans eager (max abs error {error:.3g})"
    return None


def block_seconds(call: Callable, sync: Callable, number: int) -> float:
    """Mean seconds per call over ``number`` calls, the device synchronized at the end."""
    start = time.perf_counter()
    for _ in range(number):
        out = call()
    sync(out)
    return (time.perf_counter() - start) / number


def calls_per_block(call: Callable, sync: Callable, block_time: float) -> int:
    """The number of calls (a power of two) lasting at least ``block_time``;
    the calls made to find it warm up caches and allocators."""
    number = 1
    while block_seconds(call, sync, number) * number < block_time and number < 1 << 16:
        number *= 2
    return number


# ---- the workloads ----


def mlp_loss(np_, params, X, Y):
    """Softmax cross-entropy of a tanh MLP (``params``: a list of {"W", "b"})."""
    h = X
    for i, layer in enumerate(params):
        h = h @ layer["W"] + layer["b"]
        if i < len(params) - 1:
            h = np_.tanh(h)
    logits = h - np_.max(h, axis=1, keepdims=True)
    log_probs = logits - np_.log(np_.sum(np_.exp(logits), axis=1, keepdims=True))
    return -np_.sum(log_probs * Y) / X.shape[0]


def jacobian_fn(np_, x, W, b):
    return np_.tanh(W @ x + b) * x


def rnn_loss(np_, params, xs):
    """Sum of squares of a tanh RNN's last state over the sequence ``xs`` (steps, B, I)."""
    h = np_.tanh(xs[0] @ params["Wx"] + params["b"])
    for t in range(1, xs.shape[0]):
        h = np_.tanh(xs[t] @ params["Wx"] + h @ params["Wh"] + params["b"])
    return np_.sum(h * h)


def mlp_data(s: Sizes, rng) -> tuple:
    widths = s.mlp_widths
    params = [
        {"W": rng.standard_normal((m, n)) / np.sqrt(m), "b": 0.1 * rng.standard_normal(n)}
        for m, n in zip(widths[:-1], widths[1:])
    ]
    X = rng.standard_normal((s.mlp_batch, widths[0]))
    Y = np.eye(widths[-1])[rng.integers(0, widths[-1], s.mlp_batch)]
    return params, X, Y


def jacobian_data(s: Sizes, rng) -> tuple:
    n = s.jacobian_n
    return rng.standard_normal(n), rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal(n)


def rnn_data(s: Sizes, rng) -> tuple:
    params = {
        "Wx": rng.standard_normal((s.rnn_input, s.rnn_hidden)) / np.sqrt(s.rnn_input),
        "Wh": 0.9 * rng.standard_normal((s.rnn_hidden, s.rnn_hidden)) / np.sqrt(s.rnn_hidden),
        "b": 0.1 * rng.standard_normal(s.rnn_hidden),
    }
    return params, rng.standard_normal((s.rnn_steps, s.rnn_batch, s.rnn_input))


def float32(tree):
    return ft.tree.tree_map(lambda a: np.asarray(a, dtype=np.float32), tree)


def measure_all(w: Workload, p: Platform, host_args: tuple, loss, transforms: dict) -> None:
    """Measures ``loss`` (a function ``(np_, *args)``) under each library's
    transform of the first argument; ``transforms`` maps a variant's name to
    the transform's name ("grad", "value_and_grad", "jacrev", "jacfwd")."""

    def loss_of(np_):
        return lambda *a: loss(np_, *a)

    args = p.fntrans.put(host_args)
    torch_args = p.torch_lib.put(host_args) if p.torch is not None else None
    jax_args = p.jax_lib.put(host_args) if p.jax is not None else None
    for variant, name in transforms.items():
        eager = getattr(ft, name)(loss_of(fnp))
        w.measure("fntrans eager", p.fntrans, partial(thunk, eager, args), variant)
        for fusion in ("off", "auto"):
            measure_fntrans_jit(w, p, getattr(ft, name)(loss_of(fnp)), args, variant, fusion)
        if p.torch is not None:
            derivative = torch_transform(p.torch, name)(loss_of(torch_namespace(p.torch)))
            w.measure("torch eager", p.torch_lib, partial(thunk, derivative, torch_args), variant)
        if p.jax is not None:
            import jax.numpy as jnp

            jitted = p.jax.jit(getattr(p.jax, name)(loss_of(jnp)))
            w.measure("jax jit", p.jax_lib, partial(thunk, jitted, jax_args), variant)


def thunk(fn: Callable, args: tuple) -> Callable[[], object]:
    """``fn(*args)`` as a function of nothing (bound now, not when called)."""
    return lambda: fn(*args)


def torch_transform(torch, name: str) -> Callable:
    """``torch.func``'s transform called ``name`` in fntrans (value first)."""
    import torch.func

    if name != "value_and_grad":
        return getattr(torch.func, name)

    def value_and_grad(f):
        grad_and_value = torch.func.grad_and_value(f)
        return lambda *args: grad_and_value(*args)[::-1]

    return value_and_grad


def measure_fntrans_jit(w: Workload, p: Platform, fn, args, variant, fusion) -> None:
    """``ft.jit(fn)``, compiled with the fusion switch at ``fusion``."""
    jitted = ft.jit(fn)

    def build():
        previous = ft.config.fusion
        ft.config.update("fusion", fusion)
        try:
            jitted(*args)  # compiles, with fusion as set
        finally:
            ft.config.update("fusion", previous)
        return thunk(jitted, args)

    def ops():
        ir = jitted.lower(*args).ir
        if fusion == "off":
            return len(ir.eqns)
        from fntrans.interpreters.fusion import fuse

        return len(fuse(ir, p.xp).eqns)

    label = "fntrans jit" if fusion == "off" else "fntrans jit fusion"
    w.measure(label, p.fntrans, build, variant, ops)


def mlp(w: Workload, p: Platform, s: Sizes) -> None:
    data = float32(mlp_data(s, np.random.default_rng(0)))
    measure_all(w, p, data, mlp_loss, {"": "value_and_grad"})


def jacobian(w: Workload, p: Platform, s: Sizes) -> None:
    data = float32(jacobian_data(s, np.random.default_rng(0)))
    measure_all(w, p, data, jacobian_fn, {"jacrev": "jacrev", "jacfwd": "jacfwd"})


def rnn(w: Workload, p: Platform, s: Sizes) -> None:
    data = float32(rnn_data(s, np.random.default_rng(0)))
    measure_all(w, p, data, rnn_loss, {"": "grad"})


def titles(s: Sizes) -> dict[str, tuple[str, Callable]]:
    widths = "-".join(map(str, s.mlp_widths))
    return {
        "mlp": (f"value_and_grad of a {widths} tanh MLP, batch {s.mlp_batch}", mlp),
        "jacobian": (f"Jacobian of tanh(W @ x + b) * x, n = {s.jacobian_n}", jacobian),
        "rnn": (
            f"grad of a tanh RNN, {s.rnn_steps} steps, batch {s.rnn_batch}, "
            f"input {s.rnn_input}, hidden {s.rnn_hidden}",
            rnn,
        ),
    }


WORKLOADS = ("mlp", "jacobian", "rnn")


# ---- reporting ----


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-6:.3g} us"


BASELINES = ("fntrans eager", "torch eager", "jax jit")


def print_workload(w: Workload) -> None:
    print(f"\n{w.key}: {w.title}")
    ratios = "".join(f"{'x ' + b:>16}" for b in BASELINES)
    print(f"  {'implementation':<28} {'time/call':>10}{ratios} {'ops':>6}")
    for row in w.rows:
        label = f"{row.label} {row.variant}".strip()
        if row.error:
            print(f"  {label:<28} FAILED: {row.error}")
            continue
        cells = ""
        for baseline in BASELINES:
            base = w.find(baseline, row.variant)
            ok = base is not None and base.seconds and row.seconds is not None
            cells += f"{row.seconds / base.seconds:>16.2f}" if ok else f"{'-':>16}"
        ops = "" if row.ops is None else str(row.ops)
        print(f"  {label:<28} {duration(row.seconds):>10}{cells} {ops:>6}")


TARGETS = (  # workload, implementation, baseline, the ratio to stay under
    ("mlp", "fntrans eager", "torch eager", 1.2),
    ("mlp", "fntrans jit", "jax jit", 1.1),
    ("rnn", "fntrans jit", "torch eager", 1.0),
)


def print_targets(workloads: list[Workload], dry_run: bool) -> None:
    print("\nTargets (time over the baseline's time)")
    by_key = {w.key: w for w in workloads}
    for key, impl, baseline, limit in TARGETS:
        w = by_key.get(key)
        if w is None:
            continue
        row, base = w.find(impl), w.find(baseline)
        what = f"  {key:<4} {impl} / {baseline}"
        if row is None or base is None or row.seconds is None or base.seconds is None:
            missing = baseline if base is None or base.seconds is None else impl
            print(f"{what:<40} not measured: {missing} is missing or failed")
            continue
        ratio = row.seconds / base.seconds
        verdict = "meets" if ratio < limit else "misses"
        print(f"{what:<40} {ratio:6.2f}  {verdict} the target of < {limit}")
    if dry_run:
        print("  (dry run: tiny sizes on the CPU, so these verdicts mean nothing)")


# ---- the command ----


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="NumPy, tiny sizes, no GPU needed")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="e.g. mlp,rnn")
    parser.add_argument(
        "--min-time",
        type=float,
        help="seconds of calls per implementation (default 2, dry run 0.02)",
    )
    parser.add_argument("--repeats", type=int, default=10, help="timed blocks (default 10)")
    args = parser.parse_args(argv)
    keys = [k.strip().lower() for k in args.only.split(",") if k.strip()]
    unknown = [k for k in keys if k not in WORKLOADS]
    if unknown:
        parser.error(
            f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}"
        )
    min_time = args.min_time or (0.02 if args.dry_run else 2.0)
    platform = make_platform(args.dry_run)
    if platform is None:
        return 0
    for note in platform.notes:
        print(note)
    sizes = DRY_RUN_SIZES if args.dry_run else GPU_SIZES
    start = time.perf_counter()
    workloads = []
    for key in keys:
        title, run = titles(sizes)[key]
        w = Workload(key, title, min_time, args.repeats)
        run(w, platform, sizes)
        w.time_all()
        print_workload(w)
        workloads.append(w)
        platform.release_memory()
    print_targets(workloads, args.dry_run)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")
    return 1 if any(row.error for w in workloads for row in w.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
