"""The benchmark's report writer: the results.json schema and the Markdown, on made-up figures.

No timing is measured here; these only check that what `make bench` writes has the shape the
issue asks for and says what the figures say.
"""

import json
from pathlib import Path

import pytest
from rich.console import Console

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


@pytest.fixture
def densest_and_mix(figures: list[Result]) -> list[Result]:
    return [
        *figures,
        result("postgis-1m", "candidates", "http", 18.0, part="densest"),
        result("postgis-1m", "candidates", "http", 6.0, part="median"),
        result("postgis-1m", "mixed", "http", 9.0, part="signup", statuses={"2xx": 9, "4xx": 1}),
    ]


def run_of(results: list[Result]) -> report.Run:
    return report.Run(
        mode="full",
        command="make bench",
        machine={},
        load_before="",
        load_after="",
        datasets=[],
        method={},
        results=results,
        elapsed_s=1.0,
    )


def test_the_densest_need_is_judged_on_its_own_row_and_against_the_median(
    densest_and_mix: list[Result],
) -> None:
    verdicts = {verdict.target.label: verdict for verdict in report.verdicts(densest_and_mix)}
    assert verdicts["densest need's candidates over HTTP, p50"].value == 18.0
    assert verdicts["densest need's candidates over HTTP, p50"].status == "missed"
    ratio = verdicts["densest need / median need, candidates p50"]
    assert ratio.value == pytest.approx(3.0) and ratio.status == "missed"
    # The whole candidates run is still judged on its own row, not on a need's.
    assert verdicts["candidates over HTTP, p50"].value == 8.0


def test_the_report_prints_the_densest_and_median_rows_and_their_ratio(
    densest_and_mix: list[Result],
) -> None:
    text = report.markdown(run_of(densest_and_mix))
    assert "| candidates · HTTP · densest need (admin) | 18.0 |" in text
    assert "| candidates · HTTP · median-density need (admin) | 6.00 |" in text
    assert "| densest need / median need, candidates p50 | postgis-1m | ≤ 2x | 3.00x |" in text
    assert "| mixed · HTTP · sign-up (POST) | 9.00 |" in text


def test_rows_of_one_need_or_one_endpoint_have_no_baseline_ratio(
    densest_and_mix: list[Result],
) -> None:
    densest = next(r for r in densest_and_mix if r.part == "densest")
    assert ratios(densest, densest_and_mix) == {"vs_naive": None, "vs_postgis_floor": None}
    record = next(r for r in as_records(densest_and_mix) if r["part"] == "signup")
    assert record["statuses"] == {"2xx": 9, "4xx": 1}


def test_a_need_is_compared_with_ranking_everyone_in_reach_for_that_same_need(
    densest_and_mix: list[Result],
) -> None:
    """The before/after of issue 13 in one run: the densest need's top-k against ranking
    everyone around it, never against another need's or the whole operation's figures."""
    before = [
        result("postgis-1m", "candidates", "everyone", 18_000.0, part="densest"),
        result("postgis-1m", "candidates", "everyone", 2_000.0, part="median"),
    ]
    after = result("postgis-1m", "candidates", "service", 90.0, part="densest")
    found = [*densest_and_mix, *before, after]
    assert ratios(after, found)["vs_everyone"] == 200
    whole = next(r for r in found if r.operation == "candidates/http" and not r.part)
    assert ratios(whole, found)["vs_everyone"] is None
    signup = next(r for r in found if r.part == "signup")
    assert ratios(signup, found)["vs_everyone"] is None
    console = Console(record=True, width=220)
    report.print_table(found, console)
    assert "vs everyone ranked (before #13)" in console.export_text()


@pytest.mark.parametrize(("server_errors", "status"), [(0, "met"), (1, "missed")])
def test_a_5xx_in_the_mixed_load_misses_its_target(
    figures: list[Result], server_errors: int, status: str
) -> None:
    mixed = result(
        "postgis-1m", "mixed", "http", 20.0, statuses={"2xx": 990, "4xx": 9, "5xx": server_errors}
    )
    found = [r for r in figures if r.query != "mixed"] + [mixed]
    verdicts = {verdict.target.label: verdict for verdict in report.verdicts(found)}
    assert verdicts["realistic mixed load, 5xx answers"].status == status
