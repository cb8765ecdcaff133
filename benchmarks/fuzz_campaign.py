"""Differential fuzzing campaign: many random programs, every check on each.

The generator and the checks are tests/fuzz_programs.py and
tests/fuzz_checks.py, the same as tests/test_fuzz.py's; here programs come
from a seeded generator (program k of seed S is always the same) and may use
the features with a bug (``--features all``, the default) or only those the
CI test uses (``--features ci``). The summary groups failing programs by the
first check that fails and how, with the features with a bug they use, and
prints one reproducer per group, shrunk from the smallest failing program.

Run: ``python benchmarks/fuzz_campaign.py --programs 10000 --seed 0``
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import multiprocessing
import os
import signal
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.fuzz_*

from tests.fuzz_checks import CHECKS, failure, failure_kind, shrink  # noqa: E402
from tests.fuzz_programs import CI, EVERYTHING, RISKY, RandomChoices, Reject, generate  # noqa: E402

FEATURES = {"all": EVERYTHING, "ci": CI}


class Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise Timeout("the check ran past its time limit")


@dataclasses.dataclass
class Outcome:
    """What one program did: which checks ran, and how the failing ones failed."""

    index: int
    rejected: bool = False
    checks: list = dataclasses.field(default_factory=list)
    failures: list = dataclasses.field(default_factory=list)  # (check, kind)
    risky: list = dataclasses.field(default_factory=list)  # its tags with a bug
    steps: int = 0
    seconds: float = 0.0
    detail: str = ""  # for a step that fails on plain arrays: the step and its error


def program_of(seed, index, features, focus=None, risky=None):
    """Program ``index`` of ``seed``. Under ``"all"``, a program may use one feature
    with a bug (two thirds of them do), so each failure points at one; ``risky``
    names the features with a bug that every program may use instead."""
    choices = RandomChoices(f"{seed}:{index}")
    allowed = FEATURES[features]
    if risky is not None:
        allowed = dataclasses.replace(allowed, risky=frozenset(risky))
    elif features == "all":
        one = choices.choice(sorted(RISKY)) if choices.chance(2 / 3) else None
        allowed = dataclasses.replace(allowed, risky=frozenset({one} - {None}))
    return generate(choices, allowed, focus)


def run_program(job) -> Outcome:
    seed, index, features, focus, risky, limit = job
    from fntrans.core.interpreter import current_stack

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    try:
        program = program_of(seed, index, features, focus, risky)
    except Reject:
        return Outcome(index, rejected=True)
    except Exception as e:  # a step fntrans.numpy rejects on plain arrays
        cause = e.__cause__
        detail = f"{e}\n  error: {type(cause).__name__}: {cause}" if cause else str(e)
        return Outcome(index, failures=[("generate", failure_kind("generate", e))], detail=detail)
    outcome = Outcome(index, risky=sorted(program.tags & set(RISKY)), steps=len(program.steps))
    signal.signal(signal.SIGALRM, _on_alarm)
    for name in CHECKS:
        signal.alarm(limit)
        try:
            error = failure(program, name)
        except Timeout as e:
            error = e
        finally:
            signal.alarm(0)
        outcome.checks.append(name)
        if error is not None:
            outcome.failures.append((name, failure_kind(name, error)))
        if current_stack():
            outcome.failures.append((name, f"{name}: an interpreter was left on the stack"))
            break
    outcome.seconds = time.perf_counter() - start
    return outcome


def summarize(outcomes, args, elapsed):
    tried = [o for o in outcomes if not o.rejected]
    checks = collections.Counter(name for o in tried for name in o.checks)
    failed_checks = collections.Counter(name for o in tried for name, _ in o.failures)
    groups = collections.defaultdict(list)
    for o in tried:
        if o.failures:
            name, kind = o.failures[0]
            groups[(name, kind, tuple(o.risky))].append(o)
    print(
        f"fuzz campaign: seed {args.seed}, features {args.features!r}, focus {args.focus}, "
        f"risky {args.risky}, {args.workers} workers"
    )
    print(
        f"programs: {len(outcomes)} drawn, {len(tried)} tried, {len(outcomes) - len(tried)} "
        f"rejected by the generator; {elapsed:.0f} s"
    )
    print(f"checks run: {sum(checks.values())}; failed: {sum(failed_checks.values())}")
    for name in CHECKS:
        print(f"  {name:<14} {checks[name]:>7} run {failed_checks[name]:>6} failed")
    print("programs using each feature with a bug (failing ones):")
    for tag in RISKY:
        using = [o for o in tried if tag in o.risky]
        print(f"  {tag:<28} {len(using):>6} ({sum(bool(o.failures) for o in using)})")
    failing = sum(len(g) for g in groups.values())
    print(f"programs failing a check: {failing} ({100 * failing / max(len(tried), 1):.1f}%)")
    print(f"failures by kind (the first failing check of each program): {len(groups)} kinds")
    report = []
    for (name, kind, risky), members in sorted(groups.items(), key=lambda g: -len(g[1])):
        smallest = min(members, key=lambda o: (o.steps, o.index))
        also = collections.Counter(n for o in members for n, _ in o.failures[1:])
        print("\n" + "=" * 100)
        print(f"[{len(members)} programs] {kind}")
        print(f"  features with a bug: {', '.join(risky) or 'none'}")
        for tag in risky:
            print(f"    {tag}: {RISKY[tag]}")
        if also:
            print(f"  also failing in these programs: {dict(also)}")
        entry = {"count": len(members), "kind": kind, "risky": list(risky), "program": None}
        if name == "generate":
            print(f"  program {args.seed}:{smallest.index}: {smallest.detail}")
            entry.update(program=f"{args.seed}:{smallest.index}", error=smallest.detail)
        else:
            program = program_of(args.seed, smallest.index, args.features, args.focus, args.risky)
            small = shrink(program, name) if args.shrink else program
            error = failure(small, name)
            print(
                f"  reproducer: program {args.seed}:{smallest.index}, shrunk from "
                f"{len(program.steps)} to {len(small.steps)} steps, features with a bug "
                f"{sorted(small.tags & set(RISKY)) or 'none'}"
            )
            print(f"  error: {type(error).__name__}: {str(error).strip()[:1500]}\n")
            print(small.reproducer())
            entry.update(program=f"{args.seed}:{smallest.index}", reproducer=small.reproducer())
            entry["error"] = f"{type(error).__name__}: {str(error).strip()[:3000]}"
        report.append(entry)
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=10_000, help="programs to draw")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--features", choices=sorted(FEATURES), default="all")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--time-limit", type=int, default=60, help="seconds per check")
    parser.add_argument(
        "--focus",
        choices=["complex", "wrappers", "assignment", "indexing"],
        help="one step of every program of this kind (or every program complex)",
    )
    parser.add_argument(
        "--risky",
        nargs="*",
        choices=sorted(RISKY),
        help="features with a bug every program may use",
    )
    parser.add_argument("--no-shrink", dest="shrink", action="store_false")
    parser.add_argument("--json", help="also write the failures to this file")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    jobs = [
        (args.seed, k, args.features, args.focus, args.risky, args.time_limit)
        for k in range(args.programs)
    ]
    start = time.perf_counter()
    outcomes = []
    with multiprocessing.Pool(args.workers, maxtasksperchild=500) as pool:
        for k, outcome in enumerate(pool.imap_unordered(run_program, jobs, chunksize=10)):
            outcomes.append(outcome)
            if (k + 1) % 1000 == 0:
                failing = sum(bool(o.failures) for o in outcomes)
                print(
                    f"... {k + 1} programs, {failing} failing, {time.perf_counter() - start:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    report = summarize(sorted(outcomes, key=lambda o: o.index), args, time.perf_counter() - start)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
