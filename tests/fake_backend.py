"""Second backends for the tests, and the switch that picks the op table's one.

Two fakes hold NumPy data under another array type:

- ``FakeArray``/``FakeModule``: lenient (an ``ndarray`` subclass), for tests of
  backend dispatch and of mixing two backends;
- ``FakeCupyArray``/``FAKE_CUPY``: strict, behaving like CuPy where fntrans can
  go wrong on a GPU: implicit conversion to NumPy is refused (``__array__``
  raises ``TypeError``), mixing with ``numpy.ndarray`` in an operation is
  refused, NumPy's functions answer through ``__array_ufunc__`` and
  ``__array_function__`` with fake arrays, reductions give 0-d arrays, and
  every device-to-host transfer (``.get()``, ``asnumpy``, ``tolist``,
  ``item``, ``float()``, ``bool()``, ...) is counted in ``TRANSFERS``.

The switch (``--backend`` or ``FNTRANS_TEST_BACKEND``: numpy, fake or cupy,
set by tests/conftest.py) says which backend the op-table tests run on:
``to_backend`` moves their inputs there, ``to_host`` brings results back for
comparison, and ``assert_on_backend`` checks that results stayed there.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import traceback

import numpy as np
import pytest
import scipy.linalg
import scipy.signal
import scipy.special
import scipy.stats

from fntrans import backend

# ---- the lenient fake ----


class FakeArray(np.ndarray):
    """An array of a second, pretend backend."""


class FakeModule:
    """NumPy's functions, returning FakeArray."""

    def __getattr__(self, name):
        func = getattr(np, name)
        if not callable(func):
            return func

        def wrapped(*args, **kwargs):
            out = func(*(np.asarray(a) if isinstance(a, FakeArray) else a for a in args), **kwargs)
            return (
                np.asarray(out).view(FakeArray)
                if isinstance(out, (np.ndarray, np.generic))
                else out
            )

        return wrapped


def fake(x):
    return np.asarray(x, dtype=float).view(FakeArray)


@pytest.fixture
def fake_backend(monkeypatch):
    """Registers FakeArray as a backend for one test."""
    monkeypatch.setattr(backend, "_MODULE_OF_TYPE", dict(backend._MODULE_OF_TYPE))
    monkeypatch.setattr(backend, "_FOREIGN", dict(backend._FOREIGN))
    backend.register_backend(FakeArray, FakeModule())


# ---- the strict fake ----

IMPLICIT_CONVERSION = (
    "Implicit conversion to a NumPy array is not allowed. "
    "Please use `.get()` to construct a NumPy array explicitly."
)


class HostTransfers:
    """Counts device-to-host transfers of strict fake arrays, with where each
    happened (the innermost frames outside this module)."""

    def __init__(self):
        self.count = 0
        self.events: list[str] = []

    def record(self, what: str) -> None:
        self.count += 1
        frames = [f for f in traceback.extract_stack()[:-2] if f.filename != __file__]
        where = "".join(traceback.format_list(frames[-4:]))
        self.events.append(f"{what}\n{where}")

    def reset(self) -> None:
        self.count = 0
        self.events.clear()

    @contextlib.contextmanager
    def expect_none(self):
        """Fails if anything inside the block copies a device value to the host."""
        before = self.count
        start = len(self.events)
        yield
        if self.count != before:
            shown = "\n".join(self.events[start : start + 3])
            raise AssertionError(
                f"{self.count - before} device-to-host transfer(s), the first at:\n{shown}"
            )


TRANSFERS = HostTransfers()


def _unsupported(x) -> TypeError:
    return TypeError(f"Unsupported type {type(x)}")


def _unwrap(x, host_ok: bool = False):
    """The NumPy data inside ``x`` (recursively in lists and tuples); a NumPy
    array is refused unless ``host_ok`` (a host-to-device copy)."""
    if type(x) is FakeCupyArray:
        return x._data
    if isinstance(x, np.ndarray):
        if host_ok:
            return x
        raise _unsupported(x)
    if isinstance(x, (list, tuple)):
        items = [_unwrap(v, host_ok) for v in x]
        if isinstance(x, list):
            return items
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    return x


def _wrap(x):
    """NumPy results as fake arrays (0-d for scalars, as CuPy's reductions give)."""
    if isinstance(x, np.ndarray):
        return FakeCupyArray(x)
    if isinstance(x, np.generic):
        return FakeCupyArray(np.asarray(x))
    if isinstance(x, (list, tuple)):
        items = [_wrap(v) for v in x]
        if isinstance(x, list):
            return items
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    if isinstance(x, (np.random.Generator, np.random.RandomState)):
        return _Namespace(x, "random")
    return x


def _call(func, args, kwargs, host_ok: bool = False):
    args = _unwrap(args, host_ok)
    kwargs = {k: _unwrap(v, host_ok) for k, v in kwargs.items()}
    return _wrap(func(*args, **kwargs))


def _is_scalar(x) -> bool:
    return isinstance(x, (bool, int, float, complex, np.generic))


class FakeCupyArray:
    """A strict fake CuPy array: NumPy data that stays "on the device"."""

    __slots__ = ("_data",)
    __hash__ = None

    def __init__(self, data):
        if not isinstance(data, np.ndarray):
            raise TypeError(f"FakeCupyArray holds a numpy.ndarray, not {type(data)}")
        self._data = data

    # -- what CuPy refuses or counts --

    def __array__(self, dtype=None, copy=None):
        raise TypeError(IMPLICIT_CONVERSION)

    def get(self, stream=None, order="C", out=None):
        TRANSFERS.record("get()")
        return np.array(self._data, order=order)

    def tolist(self):
        TRANSFERS.record("tolist()")
        return self._data.tolist()

    def item(self, *args):
        TRANSFERS.record("item()")
        return self._data.item(*args)

    def _scalar(self, convert, what):
        TRANSFERS.record(what)
        return convert(self._data)

    def __float__(self):
        return self._scalar(float, "float()")

    def __int__(self):
        return self._scalar(int, "int()")

    def __complex__(self):
        return self._scalar(complex, "complex()")

    def __bool__(self):
        return self._scalar(bool, "bool()")

    def __index__(self):
        return self._scalar(operator.index, "index()")

    # -- metadata: no transfer --

    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)
    nbytes = property(lambda self: self._data.nbytes)
    itemsize = property(lambda self: self._data.itemsize)
    strides = property(lambda self: self._data.strides)
    T = property(lambda self: FakeCupyArray(self._data.T))
    mT = property(lambda self: FakeCupyArray(self._data.mT))
    real = property(lambda self: FakeCupyArray(self._data.real))
    imag = property(lambda self: FakeCupyArray(self._data.imag))
    device = "fake-gpu:0"

    def __len__(self):
        return len(self._data)

    def __repr__(self):  # printing is for people; not counted
        return "fake_cupy." + repr(self._data)

    def __str__(self):
        return str(self._data)

    def __format__(self, spec):
        return format(self._data, spec)

    def __iter__(self):
        return (_wrap(v) for v in self._data)

    def __copy__(self):
        return FakeCupyArray(self._data.copy())

    def __deepcopy__(self, memo):
        return FakeCupyArray(self._data.copy())

    def __reduce__(self):
        return (FakeCupyArray, (self._data,))

    # -- methods: NumPy's, on the device --

    def __getattr__(self, name):
        if name.startswith("__") or name in ("data", "ctypes", "tobytes", "tofile", "dump"):
            raise AttributeError(name)  # no route around __array__
        attr = getattr(self._data, name)
        if callable(attr):
            return lambda *args, **kwargs: _call(attr, args, kwargs)
        return _wrap(attr)

    def __getitem__(self, key):
        return _wrap(self._data[_unwrap(key, host_ok=True)])

    def __setitem__(self, key, value):
        self._data[_unwrap(key, host_ok=True)] = _unwrap(value, host_ok=True)

    # -- NumPy's protocols --

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and ufunc.__name__ in _COMPARISONS:
            # CuPy's workaround for numpy/numpy#12142: ``np.float64(1) < x``
            # reaches here with the scalar as a 0-d NumPy array
            inputs = tuple(_scalar_of_0d(x) for x in inputs)
        for x in inputs + tuple(kwargs.get("out", ()) or ()):
            if type(x) is FakeCupyArray or _is_scalar(x) or x is None:
                continue
            if isinstance(x, np.ndarray) or isinstance(x, (list, tuple)):
                raise _unsupported(x)
            return NotImplemented  # another array type (a tracer) may know
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o) for o in out)
        result = getattr(ufunc, method)(*_unwrap(inputs), **kwargs)
        if method == "at":
            return None
        if out is not None:  # written into the fake arrays' data
            return out[0] if len(out) == 1 else tuple(out)
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        if any(t is not FakeCupyArray and not issubclass(t, np.ndarray) for t in types):
            return NotImplemented
        return _call(func, args, kwargs, host_ok=func.__name__ in _HOST_OK)

    # -- operators, through the ufuncs --

    def _binary(ufunc, reflected=False):
        def op(self, other):
            if not (type(other) is FakeCupyArray or _is_scalar(other)):
                if isinstance(other, np.ndarray) or isinstance(other, (list, tuple)):
                    raise _unsupported(other)
                return NotImplemented
            return ufunc(other, self) if reflected else ufunc(self, other)

        return op

    def _inplace(ufunc):
        def op(self, other):
            ufunc(self, other, out=(self,))
            return self

        return op

    for _name, _ufunc in [
        ("add", np.add),
        ("sub", np.subtract),
        ("mul", np.multiply),
        ("truediv", np.true_divide),
        ("floordiv", np.floor_divide),
        ("mod", np.remainder),
        ("pow", np.power),
        ("matmul", np.matmul),
        ("and", np.bitwise_and),
        ("or", np.bitwise_or),
        ("xor", np.bitwise_xor),
        ("lshift", np.left_shift),
        ("rshift", np.right_shift),
    ]:
        locals()[f"__{_name}__"] = _binary(_ufunc)
        locals()[f"__r{_name}__"] = _binary(_ufunc, reflected=True)
        locals()[f"__i{_name}__"] = _inplace(_ufunc)
    for _name, _ufunc in [
        ("eq", np.equal),
        ("ne", np.not_equal),
        ("lt", np.less),
        ("le", np.less_equal),
        ("gt", np.greater),
        ("ge", np.greater_equal),
    ]:
        locals()[f"__{_name}__"] = _binary(_ufunc)
    del _name, _ufunc, _binary, _inplace

    def __divmod__(self, other):
        return np.divmod(self, other)

    def __neg__(self):
        return np.negative(self)

    def __pos__(self):
        return np.positive(self)

    def __abs__(self):
        return np.absolute(self)

    def __invert__(self):
        return np.invert(self)


_COMPARISONS = frozenset({"greater", "greater_equal", "less", "less_equal", "equal", "not_equal"})


def _scalar_of_0d(x):
    """A 0-d NumPy array as its Python scalar (host data: no transfer)."""
    return x.item() if type(x) is np.ndarray and x.ndim == 0 else x


# host-to-device copies that CuPy accepts
_HOST_OK = frozenset({"asarray", "array", "asanyarray", "ascontiguousarray"})


class _Ufunc:
    """A NumPy ufunc on fake arrays, with its methods (reduce, at, outer, ...)."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        return _call(self._ufunc, args, kwargs)

    def __getattr__(self, name):
        attr = getattr(self._ufunc, name)
        if callable(attr):
            return lambda *args, **kwargs: _call(attr, args, kwargs)
        return attr


class _Namespace:
    """A NumPy (or SciPy) namespace whose functions take and give fake arrays."""

    def __init__(self, module, name: str, **children):
        self._module = module
        self.__name__ = name
        self.__dict__.update(children)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self._module, name)
        if name == "ndarray":
            value = FakeCupyArray
        elif isinstance(value, np.ufunc):
            value = _Ufunc(value)
        elif callable(value) and not isinstance(value, type):
            value = functools.partial(_call, value, host_ok=name in _HOST_OK)
            value = _as_function(value, name)
        setattr(self, name, value)
        return value

    def __repr__(self):
        return f"<fake module {self.__name__}>"


def _as_function(call, name):
    def function(*args, **kwargs):
        return call(args, kwargs)

    function.__name__ = name
    return function


def asnumpy(x):
    """A host copy of ``x`` (counted for fake arrays), as ``cupy.asnumpy``."""
    if type(x) is FakeCupyArray:
        return x.get()
    return np.asarray(x)


def get_array_module(*args):
    return FAKE_CUPY if any(type(a) is FakeCupyArray for a in args) else np


FAKE_CUPY = _Namespace(
    np,
    "fake_cupy",
    linalg=_Namespace(np.linalg, "fake_cupy.linalg"),
    fft=_Namespace(np.fft, "fake_cupy.fft"),
    random=_Namespace(np.random, "fake_cupy.random"),
    scipy=_Namespace(
        None,
        "fake_cupyx.scipy",
        special=_Namespace(scipy.special, "fake_cupyx.scipy.special"),
        signal=_Namespace(scipy.signal, "fake_cupyx.scipy.signal"),
        linalg=_Namespace(scipy.linalg, "fake_cupyx.scipy.linalg"),
        stats=_Namespace(scipy.stats, "fake_cupyx.scipy.stats"),
    ),
    asnumpy=asnumpy,
    get_array_module=get_array_module,
    ndarray=FakeCupyArray,
)


def fake_cupy(x, dtype=None) -> FakeCupyArray:
    """``x`` copied to the strict fake device (as ``cupy.asarray``)."""
    return FAKE_CUPY.asarray(x, dtype=dtype)


def register_strict_fake() -> None:
    backend.register_backend(FakeCupyArray, FAKE_CUPY)


@pytest.fixture
def strict_fake_backend(monkeypatch):
    """Registers the strict fake CuPy for one test."""
    monkeypatch.setattr(backend, "_MODULE_OF_TYPE", dict(backend._MODULE_OF_TYPE))
    monkeypatch.setattr(backend, "_FOREIGN", dict(backend._FOREIGN))
    register_strict_fake()


# ---- the switch: which backend the op-table tests run on ----

BACKENDS = ("numpy", "fake", "cupy")
_state = {"name": "numpy", "cupy": None, "skip_reason": None}


def cupy_or_skip_reason():
    """``(cupy, None)``, or ``(None, why CuPy cannot run here)``."""
    try:
        import cupy
    except ImportError:
        return None, "CuPy is not installed (install fntrans[cuda12] or fntrans[cuda13])"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None, "CuPy is installed but no CUDA GPU is visible"
    except Exception as e:  # no driver, no device
        return None, f"CuPy is installed but CUDA is unavailable: {e}"
    return cupy, None


def select(name: str) -> None:
    """Makes ``name`` the backend of the op-table tests (from tests/conftest.py)."""
    if name not in BACKENDS:
        raise ValueError(f"unknown test backend {name!r}; choose one of {', '.join(BACKENDS)}")
    _state["name"] = name
    if name == "fake":
        register_strict_fake()
    elif name == "cupy":
        _state["cupy"], _state["skip_reason"] = cupy_or_skip_reason()


def current() -> str:
    """The op-table tests' backend: "numpy", "fake" or "cupy"."""
    return _state["name"]


def skip_reason() -> str | None:
    """Why the selected backend cannot run here (CuPy or a GPU missing), or None."""
    return _state["skip_reason"]


def _device_module():
    if _state["skip_reason"] is not None:
        pytest.skip(f"--backend=cupy: {_state['skip_reason']}")
    return FAKE_CUPY if _state["name"] == "fake" else _state["cupy"]


def array_type() -> type:
    """The array type results must have on the selected backend."""
    name = _state["name"]
    return np.ndarray if name == "numpy" else _device_module().ndarray


def to_backend(x):
    """NumPy arrays and scalars in ``x`` (a pytree) copied to the selected
    backend (a scalar as a 0-d array, as NumPy's functions make it one); others kept."""
    if _state["name"] == "numpy":
        return x
    from fntrans.tree import tree_map

    xp = _device_module()
    return tree_map(lambda a: xp.asarray(a) if isinstance(a, (np.ndarray, np.generic)) else a, x)


def to_host(x):
    """``x`` (a pytree) on the host as NumPy, for comparisons; unchanged on NumPy."""
    if _state["name"] == "numpy":
        return x
    from fntrans.tree import tree_map

    xp = _device_module()
    return tree_map(lambda a: xp.asnumpy(a) if type(a) is xp.ndarray else a, x)


def assert_on_backend(x) -> None:
    """Every array in ``x`` is on the selected backend (nothing checked on NumPy)."""
    if _state["name"] == "numpy":
        return
    from fntrans.tree import tree_leaves

    for leaf in tree_leaves(x):
        assert type(leaf) is array_type(), (
            f"a result came back as {type(leaf).__module__}.{type(leaf).__name__}, "
            f"not on the {_state['name']} backend"
        )
