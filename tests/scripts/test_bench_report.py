"""The benchmark's report writer: the results.json schema and the Markdown, on made-up figures.

No timing is measured here; these only check that what `make bench` writes has the shape the
issue asks for and says what the figures say.
"""

import json
from pathlib import Path

import pytest

from scripts.bench import report
from scripts.bench.results import Result, as_records, ratios

REQUIRED_KEYS = {"dataset", "backend", "operation", "p50_ms", "p95_ms", "requests_per_s", "rss_mb"}


def result(dataset: str, query: str, layer: str, p50_ms: float, **extra: object) -> Result:
    backend = extra.pop("backend", "postgis")
    return Result(
        dataset=dataset,
        backend=str(backend),
        query=query,
        layer=layer,
        p50_ms=p50_ms,
        p95_ms=p50_ms * 2,
        requests_per_s=1000.0 / p50_ms,
        samples=100,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def figures() -> list[Result]:
    return [
        result("postgis-1m", "candidates", "engine", 1.0, backend="memory"),
        result("postgis-1m", "candidates", "http", 8.0, rss_mb=450.0),
        result("postgis-1m", "candidates", "naive", 4000.0, backend="memory"),
        result("postgis-1m", "candidates", "postgis_floor", 2.0),
        result("postgis-1m", "suggestions", "http", 12.0, rss_mb=480.0),
        result("postgis-1m", "mixed", "http", 20.0, rss_mb=520.0),
    ]


def test_every_row_has_the_issue_keys_and_a_ratio_per_baseline_of_the_run(
    figures: list[Result], tmp_path: Path
) -> None:
    path = tmp_path / "results.json"
    report.write_json(figures, path)
    rows = json.loads(path.read_text())
    assert isinstance(rows, list) and len(rows) == len(figures)
    for row in rows:
        assert row.keys() >= REQUIRED_KEYS
        assert {"vs_naive", "vs_postgis_floor"} <= row.keys()
        assert "vs_kdtree_floor" not in row  # not measured in this run, so no column
        assert row["operation"].count("/") == 1


def test_ratio_is_how_many_times_faster_than_the_baseline(figures: list[Result]) -> None:
    http = figures[1]
    found = ratios(http, figures)
    assert found["vs_naive"] == pytest.approx(500.0)
    assert found["vs_postgis_floor"] == pytest.approx(0.25)  # slower than the floor: below 1


def test_a_query_without_that_baseline_gets_no_ratio(figures: list[Result]) -> None:
    mixed = next(record for record in as_records(figures) if record["operation"] == "mixed/http")
    assert mixed["vs_naive"] is None


def test_targets_are_judged_only_on_their_own_dataset(figures: list[Result]) -> None:
    verdicts = {verdict.target.label: verdict for verdict in report.verdicts(figures)}
    assert verdicts["candidates over HTTP, p50"].status == "met"
    assert verdicts["suggestions over HTTP, p50"].status == "missed"
    assert verdicts["HTTP candidates p50 / PostGIS floor p50"].value == pytest.approx(4.0)
    assert verdicts["API server RSS (peak, all workers)"].value == 520.0
    assert verdicts["SQLite candidates over HTTP, p50"].status == "not measured"


def test_markdown_names_every_figure_and_states_misses(figures: list[Result]) -> None:
    run = report.Run(
        mode="full",
        command="make bench",
        machine={"CPU": "test"},
        load_before="0 / 0 / 0",
        load_after="0 / 0 / 0",
        datasets=[
            {
                "name": "postgis-1m",
                "backend": "postgis",
                "counts": dict.fromkeys(
                    (
                        "members",
                        "needs",
                        "open_needs",
                        "communities",
                        "coordinators",
                        "agencies",
                        "signups",
                    ),
                    1,
                ),
                "reused": True,
                "build_s": None,
            }
        ],
        method={"connections": "4"},
        results=figures,
        elapsed_s=60.0,
    )
    text = report.markdown(run)
    assert "## Targets" in text and "**missed**" in text
    assert text.count("| postgis-1m |") >= len(figures)
    assert "vs PostGIS floor" in text
