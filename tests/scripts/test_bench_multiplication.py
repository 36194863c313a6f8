"""The multiplication bench: its communities are what it says, its table has every row, and
``--only multiplication`` runs it alone. No timing is measured here."""

from collections import Counter

from matcher.multiplication import readiness
from scripts.bench import cli, multiplication


def test_generated_communities_are_ready_with_households_of_two() -> None:
    for members, groups, neighbourhoods in multiplication.SIZES:
        problem = multiplication.community(members, groups, neighbourhoods, seed=1)
        assert len(problem.members) == members
        assert readiness(problem.members, problem.rules).ready
        households = Counter(m.household for m in problem.members if m.household)
        assert households and set(households.values()) == {2}
        stages = Counter(m.stage for m in problem.members)
        assert stages["new"] and stages["growing"] and stages["mature"] and stages["leader"]


def test_the_table_has_a_row_per_method_and_size() -> None:
    row = multiplication.Row(25, 2, "plan", 12.5, True, 100.0, 4.0, 40.0, 1.5, (13, 12), 0, 0.5)
    lines = multiplication.markdown([row, row])
    assert lines[0] == "## Multiplication plans"
    assert lines[-1] == "| 25 | 2 | plan | 12.5 | yes | 100.0 / 4.00 | 40.0 / 1.50 | 13/12 | 0 |"
    assert sum(line.startswith("| 25 ") for line in lines) == 2


def test_only_multiplication_runs_the_plans_alone() -> None:
    mode = cli._mode(cli.arguments(["--only", "multiplication", "--skip-http"]))
    assert mode.multiplication
    assert mode.datasets == () and mode.batch_sizes == ()
    assert not cli._mode(cli.arguments(["--only", "batch"])).multiplication
