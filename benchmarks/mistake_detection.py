"""How often does a grading profile catch each known mistake? (Not a test; a measurement.)

For every drill and every entry of its mistakes.py, grade the mistaken implementation
in-process `--runs` times with random (not derandomized) examples and no example database,
as a user's first run would be, and count the runs that wrongly PASS. This is what the
default profile's example count is chosen from (docs/benchmarks.md).

    python benchmarks/mistake_detection.py --examples 25 12 8 --runs 5 [--drill attention]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, nargs="+", default=[25, 12])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--drill", action="append", help="only these drills (repeatable)")
    args = ap.parse_args()

    from grader import runner
    from grader.catalog import load_catalog
    from grader.diagnose import namespace_with
    from grader.impl import LocalImpl

    runner.prepare()
    drills = [d for d in load_catalog().drills if not args.drill or d.slug in args.drill]
    for n in args.examples:
        runner.PROFILES[f"probe{n}"] = {"examples": n, "derandomize": False, "database": False, "shrink": False}
        started = time.monotonic()
        total = missed = 0
        misses: list[str] = []
        for d in drills:
            loaded = runner.load_drill(d)
            for m in loaded.mistakes:
                ns = namespace_with(loaded.reference, d.entry_points, m.overrides)
                for _ in range(args.runs):
                    total += 1
                    r = runner.grade(d, impl_factory=lambda dev, ns=ns, d=d: LocalImpl(ns, d.entry_points, dev),
                                     profile=f"probe{n}", fail_fast=True, diagnose=False)
                    if r.status == "pass":
                        missed += 1
                        misses.append(f"{d.slug}/{m.id}")
        counts = {k: misses.count(k) for k in dict.fromkeys(misses)}
        print(f"examples={n}: {missed}/{total} runs of a known mistake passed "
              f"({100 * missed / max(total, 1):.2f}%), {time.monotonic() - started:.0f} s")
        for k, c in counts.items():
            print(f"    {k}: passed {c}/{args.runs}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
