"""Where things happened in the user's code: the user's line for errors, and
NumPy's warnings from inside fntrans issued at that line rather than at
fntrans's.

Two mechanisms cover the two ways a primitive is evaluated:

- inside a transform, ``warnings_at_user_lines`` routes NumPy's
  floating-point warnings through NumPy's error callback (NumPy's per-thread
  settings, as ``np.errstate`` sets them), which issues them at the user's
  line; the outermost transform opens it;
- outside any transform, a warnings filter that fntrans adds turns a
  RuntimeWarning issued inside a primitive into an exception, which
  ``Primitive.bind`` catches to evaluate the primitive again with its
  warnings issued at the user's line. A call that does not warn pays nothing;
  one that does is computed twice. Filters the user adds later take
  precedence (``warnings.simplefilter("ignore")`` silences as usual; one that
  shows every warning, as ``pytest.warns`` does, sees them at fntrans's line).
"""

from __future__ import annotations

import _warnings
import pathlib
import sys
import threading
import warnings

import numpy as np

_PACKAGE = str(pathlib.Path(__file__).resolve().parent.parent)

# the standard library's modules that fntrans calls user code through
_PLUMBING = ("contextlib.py", "functools.py")

_INTERNAL_CODE = {}  # code object -> whether it is fntrans's (or plumbing it calls through)


def _internal(filename: str) -> bool:
    return filename.startswith(_PACKAGE) or filename.endswith(_PLUMBING)


def _user_frame(frame):
    """The innermost frame outside fntrans from ``frame`` outwards, or None."""
    while frame is not None:
        code = frame.f_code
        internal = _INTERNAL_CODE.get(code)
        if internal is None:
            internal = _INTERNAL_CODE[code] = _internal(code.co_filename)
        if not internal:
            return frame
        frame = frame.f_back
    return None


def user_location():
    """``(filename, line, function)`` of the innermost frame outside fntrans, or None."""
    frame = _user_frame(sys._getframe(1))
    if frame is None:
        return None
    return frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name


def warn_at_user_line(message: Warning | str, category: type[Warning] = RuntimeWarning) -> None:
    """Issues a warning at the innermost line of user code on the stack, under
    the filters and the once-per-line registry of the user's module."""
    frame = _user_frame(sys._getframe(1))
    if frame is None:
        warnings.warn(message, category, stacklevel=2)
        return
    module_globals = frame.f_globals
    _reissuing.active = True  # fntrans's filter leaves it alone (a doctest's module is fntrans's)
    try:
        warnings.warn_explicit(
            message,
            category,
            frame.f_code.co_filename,
            frame.f_lineno,
            module=module_globals.get("__name__", "<unknown>"),
            registry=module_globals.setdefault("__warningregistry__", {}),
        )
    finally:
        _reissuing.active = False


class _Reissuing(threading.local):
    active = False  # whether warn_at_user_line is issuing a warning on this thread


_reissuing = _Reissuing()


# ---- inside transforms: NumPy's error callback ------------------------------------


class _Attribution(threading.local):
    depth = 0  # how many warnings_at_user_lines contexts are open on this thread


_attribution = _Attribution()


class warnings_at_user_lines:
    """A context in which NumPy's floating-point warnings from inside fntrans
    are issued at the line of user code that led to them (where NumPy's
    settings say "warn"). Nested contexts cost nothing."""

    __slots__ = ("errstate", "token")

    def __enter__(self):
        self.errstate = self.token = None
        if _attribution.depth == 0:
            if _ERRSTATE is not None:  # NumPy 2: swap its settings, computed once
                current = _ERRSTATE.get()
                routed = _ROUTED.get(current)
                if routed is None:
                    routed = _routed(current)
                if routed is not current:
                    self.token = _ERRSTATE.set(routed)
            else:
                watched = _watched()
                if watched:
                    self.errstate = np.errstate(call=_floating_point_warning, **watched)
                    self.errstate.__enter__()
        _attribution.depth += 1
        return self

    def __exit__(self, *exc):
        _attribution.depth -= 1
        if self.token is not None:
            _ERRSTATE.reset(self.token)
        elif self.errstate is not None:
            self.errstate.__exit__(*exc)
        return False


def _watched() -> dict:
    """The kinds NumPy's settings say to warn about, to be routed to the
    callback; none where the user has a callback of their own ("call", "log"),
    which is one for every kind."""
    modes = np.geterr()
    if "call" in modes.values() or "log" in modes.values():
        return {}
    return {kind: "call" for kind, mode in modes.items() if mode == "warn"}


# NumPy 2 keeps its floating-point settings in a context variable: the settings
# with "warn" routed to the callback are made once per settings object (a
# transform's entry is then two context-variable operations, not np.errstate's
# microseconds); a few are kept, as the user's np.errstate blocks make new ones
try:
    from numpy._core._ufunc_config import _extobj_contextvar as _ERRSTATE
except ImportError:  # NumPy 1: np.errstate on every entry
    _ERRSTATE = None
_ROUTED = {}


def _routed(current):
    watched = _watched()
    routed = current
    if watched:
        with np.errstate(call=_floating_point_warning, **watched):
            routed = _ERRSTATE.get()
    if len(_ROUTED) >= 16:
        _ROUTED.clear()
    _ROUTED[current] = routed
    return routed


def _floating_point_warning(error: str, flag: int) -> None:
    # NumPy's error callback: NumPy's message, naming the primitive (NumPy
    # names its ufunc, which the callback is not told)
    frame = sys._getframe(1)
    primitive = None
    while primitive is None and frame is not None and _internal(frame.f_code.co_filename):
        candidate = frame.f_locals.get("prim") or frame.f_locals.get("self")
        primitive = getattr(candidate, "name", None) if hasattr(candidate, "impl") else None
        frame = frame.f_back
    where = f" in {primitive}" if primitive else ""
    warn_at_user_line(RuntimeWarning(f"{error} encountered{where}"))


# ---- outside transforms: a warnings filter, and bind evaluating again ----------------

_EVALUATORS = set()  # code objects that catch a warning made an exception, see below


def reissues_warnings(function):
    """Marks ``function`` (``Primitive.bind``) as the place that catches a
    RuntimeWarning raised by fntrans's filter and evaluates again with
    ``evaluate_warning_at_user_line``: the filter raises only beneath it."""
    _EVALUATORS.add(function.__code__)
    return function


class _InsidePrimitive:
    """The module pattern of fntrans's warnings filter: it matches fntrans's
    modules where a primitive is being evaluated beneath a marked frame, with
    only fntrans's frames in between (never inside jit's generated code or
    a user's rule, where nothing would catch the exception)."""

    def match(self, module: str) -> bool:
        if _reissuing.active or not module.startswith("fntrans."):
            return False
        frame = sys._getframe(1)
        while frame is not None and not _internal(frame.f_code.co_filename):
            frame = frame.f_back  # NumPy's Python code, warning with a stacklevel
        while frame is not None and _internal(frame.f_code.co_filename):
            if frame.f_code in _EVALUATORS:
                return True
            frame = frame.f_back
        return False


def _install_filter() -> None:
    # the public call keeps the warnings module's caches right; the pattern is
    # then swapped for the one that looks at the stack (filters only call
    # their patterns' match method)
    warnings.filterwarnings("error", category=RuntimeWarning, module="fntrans")
    action, message, category, _, lineno = warnings.filters[0]
    entry = (action, message, category, _InsidePrimitive(), lineno)
    warnings.filters[0] = entry
    # imported inside ``warnings.catch_warnings()`` (as pytest collects tests),
    # the list above is a copy that the block's end throws away: the
    # interpreter's own list, which it puts back, gets the filter too
    original = getattr(_warnings, "filters", None)
    if isinstance(original, list) and original is not warnings.filters:
        original.insert(0, entry)


_install_filter()


def evaluate_warning_at_user_line(prim, xp, args, params):
    """``prim``'s impl again, after its first evaluation raised a RuntimeWarning
    (made an exception by fntrans's filter, or by one of the user's, which
    then raises it again at the user's line): floating-point warnings through
    NumPy's callback (thread-safe), any other (a complex value cast to real)
    recorded and issued again, each at the user's line."""
    try:
        with warnings_at_user_lines():
            return prim.impl(xp, *args, **params)
    except RuntimeWarning:
        pass
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ans = prim.impl(xp, *args, **params)
    for record in caught:
        warn_at_user_line(record.message, record.category)
    return ans
