"""The command line: run the policies over the seeds, print the comparison, write the doc.

A full run (the default: 5 seeds, 12 weeks, the full city) rewrites the figures and plots
in docs/quality.md; ``--quick`` (a small city) only prints, so a feel never overwrites them.
"""

from __future__ import annotations

import argparse
import time

from scripts.simulate import learned
from scripts.simulate.city import FULL, QUICK
from scripts.simulate.report import (
    TARGETED,
    plots,
    run_all,
    section,
    table,
    targets,
    write_doc,
)
from scripts.simulate.run import POLICIES


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, print; write docs/quality.md unless quick or told not to."""
    parser = argparse.ArgumentParser(prog="python -m scripts.simulate", description=__doc__)
    parser.add_argument("--seeds", type=int, default=10, help="how many seeds (1, 2, …)")
    parser.add_argument("--weeks", type=int, default=12, help="measured weeks")
    parser.add_argument("--quick", action="store_true", help="a small city; prints only")
    parser.add_argument("--processes", type=int, default=2, help="worker processes")
    parser.add_argument("--policies", nargs="+", choices=sorted(POLICIES), default=list(POLICIES))
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/")
    options = parser.parse_args(argv)
    seeds = list(range(1, options.seeds + 1))
    started = time.perf_counter()
    runs = run_all(
        options.policies,
        seeds,
        weeks=options.weeks,
        size=QUICK if options.quick else FULL,
        processes=options.processes,
    )
    elapsed = time.perf_counter() - started
    city = "quick" if options.quick else "full"
    print(f"{len(runs)} runs ({city} city, seeds {seeds[0]}-{seeds[-1]}) in {elapsed:.0f} s")
    print("\n".join(table(runs)))
    for policy in TARGETED:
        for label, value, met in targets(runs, policy):
            print(f"{'met   ' if met else 'MISSED'}  {label}: {value}")
    if not (options.quick or options.no_write):
        paths = plots(runs)
        write_doc(section(runs, seeds=seeds, weeks=options.weeks, elapsed_s=elapsed))
        if "learned" in options.policies:
            write_doc(learned.section(runs), markers=(learned.START, learned.END))
        print("wrote docs/quality.md and " + ", ".join(str(p.name) for p in paths))
    return 0
