"""The batch part of `make bench`: a tiny run in its own process, as the bench runs it, and
what the report makes of batch figures (made-up ones where a verdict is checked)."""

import json
from pathlib import Path

import pytest

from matcher import greedy_assign
from scripts.bench import batch, report
from scripts.bench.batch import Figures, Report
from tests.scripts.test_bench_report import REQUIRED_KEYS, run_of


def figures(solver: str, *, solve_s: float, score: float, filled: int, gini: float) -> Figures:
    return Figures(
        solver=solver,
        solve_s=solve_s,
        objective=2 * score,
        total_score=score,
        places_filled=filled,
        places_open=100,
        gini=gini,
        optimal=False,
        gap=0.01,
        peak_rss_mib=300.0,
    )


def made_up(places: int, members: int, *, batch_s: float, batch_filled: int) -> Report:
    return Report(
        shape="scarce",
        places=places,
        members=members,
        edges=8 * places,
        build_s=0.1,
        figures=(
            figures("batch", solve_s=batch_s, score=95.0, filled=batch_filled, gini=0.5),
            figures("greedy", solve_s=0.1, score=90.0, filled=90, gini=0.6),
        ),
        time_budget_s=2.0,
    )


def test_a_tiny_run_in_its_own_process_reports_both_solvers_and_their_ratios() -> None:
    found = batch.measure(300, 3_000, "scarce", timeout_s=300)
    assert found.name == "batch-scarce-300" and found.shape == "scarce"
    assert [f.solver for f in found.figures] == ["batch", "greedy"]
    solver, greedy = found.figures
    assert solver.places_open == greedy.places_open > 0
    assert solver.places_filled >= greedy.places_filled
    assert solver.objective >= greedy.objective
    assert found.time_budget_s == batch.DEFAULT_BUDGET_S
    # Not a target size: a feel only, never met or missed.
    assert {status for *_, status in batch.verdicts(found)} == {"not measured"}


def test_the_scarce_city_strands_places_for_greedy_and_the_plentiful_one_does_not() -> None:
    plentiful = batch.city(400, 4_000, seed=3)
    scarce = batch.city(400, 4_000, seed=3, shape=batch.SCARCE)
    assert len(greedy_assign(plentiful).edges) == plentiful.slot_open.sum()
    assert len(greedy_assign(scarce).edges) < scarce.slot_open.sum()


@pytest.mark.parametrize(("batch_s", "status"), [(1.5, "met"), (2.5, "missed")])
def test_the_solve_time_is_judged_against_the_target_of_its_size(
    batch_s: float, status: str
) -> None:
    verdicts = {
        v[0]: v for v in batch.verdicts(made_up(10_000, 100_000, batch_s=batch_s, batch_filled=95))
    }
    assert verdicts["solve time"][1:] == ("≤ 2 s", f"{batch_s:.2f} s", status)
    assert verdicts["total score vs greedy"][3] == "met"
    assert verdicts["Gini vs greedy"][3] == "met"
    assert verdicts["places filled vs greedy"][3] == "met"


def test_equal_places_are_met_only_when_every_place_is_filled() -> None:
    short = made_up(10_000, 100_000, batch_s=1.0, batch_filled=90)
    verdicts = {v[0]: v[3] for v in batch.verdicts(short)}
    assert verdicts["places filled vs greedy"] == "missed"


def test_batch_rows_join_the_results_json_with_the_keys_of_every_row(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    report.write_json([], path, batch=[made_up(10_000, 100_000, batch_s=1.0, batch_filled=95)])
    rows = json.loads(path.read_text())
    assert [row["operation"] for row in rows] == ["batch/batch", "batch/greedy"]
    for row in rows:
        assert row.keys() >= REQUIRED_KEYS and row["dataset"] == "batch-scarce-10k"
    assert rows[0]["vs_greedy_places_filled"] == pytest.approx(95 / 90)
    assert "vs_greedy_gini" not in rows[1]


def test_the_markdown_has_a_batch_section_with_ratios_and_verdicts() -> None:
    run = run_of([])
    run.batch = [made_up(100_000, 1_000_000, batch_s=31.0, batch_filled=95)]
    text = report.markdown(run)
    assert "## Batch assignment" in text
    assert "| batch-scarce-100k | batch / greedy | | | 1.0556 | 1.0556 | 1.0556 | 0.833 | |" in text
    assert "| batch-scarce-100k | solve time | ≤ 30 s | 31.00 s | **missed** |" in text
