"""Report parameter constraints: declared once, checked by the runner before any kernel starts."""

from __future__ import annotations

import math

import pytest

from revops_nb.cli import main
from revops_nb.errors import ParamsError
from revops_nb.param_rules import (
    AtLeast,
    Below,
    Between,
    CurrencyCode,
    IncreasingPositive,
    IsoDate,
    NotAfter,
    OneOf,
    ReportRules,
    SubsetOf,
    shown,
)
from revops_nb.report.notebook_params import read_param_specs
from revops_nb.report.registry import discover
from revops_nb.reports import NAMES, rules


@pytest.mark.parametrize(
    ("rule", "good", "bad"),
    [
        (Between(0.05, 0.5), [0.05, 0.25, 0.5, 1 / 4], [0.9, 0.01, math.nan, math.inf, True, "0.3"]),
        (Between(0.5, 1, high_open=True), [0.5, 0.95, 0.999], [1, 1.0, 2, 0.49, math.nan]),
        (AtLeast(1), [1, 30, 10**9], [0, -1, 1.5, True, "3"]),
        (OneOf(("month", "quarter", "year")), ["quarter", "Month", " year "], ["decade", "", 3]),
        (SubsetOf(("a", "b")), [[], ["a"], ["b", "a"]], ["a", ["c"], ["a", 1]]),
        (IncreasingPositive(), [[1.0], [1, 2.5, 10]], [[], [2, 1], [1, 1], [0, 1], [-5], [1, math.inf]]),
        (
            IsoDate(),
            ["2025-01-01", "2024-02-29"],
            ["2025-13-01", "2023-02-29", "01/02/2025", "last year", 2025],
        ),
        (CurrencyCode(), ["USD", "eur"], ["dollars", "US", "U5D", 840]),
    ],
)
def test_rules_accept_good_values_and_name_the_constraint_for_bad_ones(rule, good, bad):
    for value in good:
        assert rule.problem(value) is None, value
    for value in bad:
        problem = rule.problem(value)
        assert problem is not None and rule.describe().split(" (")[0] in problem, value


def test_relations_compare_only_when_both_values_are_set():
    rules = ReportRules(
        fields={"period_start": IsoDate(), "period_end": IsoDate()},
        relations=(NotAfter("period_start", "period_end"), Below("low", "high")),
    )
    assert rules.problems({"period_start": "2025-01-01", "period_end": None}) == []
    ((names, sentence),) = rules.problems({"period_start": "2025-02-01", "period_end": "2025-01-31"})
    assert names == ("period_start", "period_end")
    assert sentence == "period_start '2025-02-01' is after period_end '2025-01-31'"
    with pytest.raises(ParamsError, match=r"low \(5\) must be below high \(5\)"):
        rules.check({"low": 5, "high": 5})


def test_a_hostile_value_is_shown_truncated():
    text = shown("x" * 100_000)
    assert len(text) < 100 and "…" in text
    with pytest.raises(ParamsError) as err:
        rules("market_analysis").check({"grain": "y" * 100_000})
    assert len(str(err.value)) < 300


@pytest.mark.parametrize("report", NAMES)
def test_every_rule_names_a_parameter_of_the_notebook_and_its_defaults_pass(report):
    specs = read_param_specs(discover()[report].notebook)
    report_rules = rules(report)
    assert report_rules is not None, f"{report} declares no rules"
    names = set(report_rules.fields) | {n for r in report_rules.relations for n in (r.first, r.second)}
    assert names <= set(specs), names - set(specs)
    assert report_rules.problems({name: spec.default for name, spec in specs.items()}) == []


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ["churn_model", "-p", "churn_model.test_share=0.9"],
            ["-p: parameter 'test_share'", "0.05 to below 0.5", "0.9"],
        ),
        (
            ["-p", "market_analysis.grain=decade"],
            ["parameter 'grain' must be one of month, quarter, year", "'decade'"],
        ),
        (
            ["market_analysis", "-p", "period_start=2025-13-01"],
            ["'period_start' must be an ISO date", "2025-13-01"],
        ),
        (["win_loss", "-p", "confidence=2"], ["'confidence' must be a number from 0.5 to below 1", "got 2"]),
        (["nps_retention", "-p", "min_n=0"], ["'min_n' must be a whole number of at least 1"]),
        (["churn_model", "-p", "mode=weekly"], ["'mode' must be one of auto, snapshot, history"]),
        (["churn_model", "-p", "test_share=0.5"], ["'test_share' must be a number from 0.05 to below 0.5"]),
        (["churn_model", "-p", "seed=-1"], ["'seed' must be a whole number of at least 0"]),
        (["churn_model", "-p", "features=[]"], ["'features' must be a non-empty list of column names"]),
        (["market_analysis", "-p", "dimensions=[region, Region]"], ["'Region' is listed twice"]),
        (
            ["market_analysis", "-p", "regions=[NA, NA]"],
            ["'regions' must be a list of regions, none repeated"],
        ),
    ],
)
def test_run_stops_with_exit_2_before_any_kernel(tmp_path, capsys, args, fragments):
    out = tmp_path / "out"
    code = main(["run", *args, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    for fragment in fragments:
        assert fragment in err, err
    assert "Traceback" not in err
    assert not out.exists() or not any(out.glob("*/*/run.json"))


def test_params_file_values_are_checked_and_named_by_file(tmp_path, capsys):
    params = tmp_path / "p.yaml"
    params.write_text("nps_retention:\n  detractor_max: 8\n  promoter_min: 7\n")
    code = main(["run", "nps_retention", "--params", str(params), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{params}: detractor_max (8) must be below promoter_min (7)" in err


def test_unquoted_yaml_dates_are_read_as_iso_text(tmp_path, capsys):
    from revops_nb.report.params import merge_params

    params = tmp_path / "p.yaml"
    params.write_text("period_start: 2025-01-01\n")
    specs = read_param_specs(discover()["win_loss"].notebook)
    assert merge_params("win_loss", specs, None, [params], []) == {"period_start": "2025-01-01"}


def test_list_shows_the_constraints(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "allowed: a number from 0.05 to below 0.5" in out
    assert "allowed: one of month, quarter, year" in out
    assert "allowed: a three-letter currency code" in out
