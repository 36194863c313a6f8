"""The benchmark harness behind ``make bench`` (entry point: ``scripts/bench.py``).

Modules, in the order a run uses them: ``datasets`` builds or reuses the generated networks,
``inprocess`` times the engine, the service and the baselines without HTTP, ``load`` serves the
API and drives it with wrk, ``results`` holds the figures, ``report`` writes them out.
The entry point and the tests alike import it as ``scripts.bench``.
"""
