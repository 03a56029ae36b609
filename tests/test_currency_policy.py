"""One currency policy for every report: an amount whose currency has no fx rate stops the report.

A finance reader expects money totals to be complete, so no report drops or guesses
an unconvertible amount; every report raises the same sentence, and ``revops-nb run``
says it before any kernel starts (exit 2).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from revops_nb import sample
from revops_nb.cli import main
from revops_nb.errors import DataError, ParamsError
from revops_nb.reports import market_analysis as market
from revops_nb.reports import win_loss as wl
from revops_nb.reports._currency import conversion_rates, to_reporting

UNRATED = "fx_rates has no rate for currency 'CHF', used by 1 row(s) of"


def _with_chf(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[frame.index[0], "currency"] = "CHF"
    return frame


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {name: sample.table(name, scale=300) for name in ("opportunities", "subscriptions", "fx_rates")}


def test_market_and_win_loss_stop_with_the_same_sentence(tables):
    opps = _with_chf(tables["opportunities"])
    with pytest.raises(DataError, match=re.escape(UNRATED + " opportunities")):
        market.analyze({"opportunities": opps, "fx_rates": tables["fx_rates"]}, market.Settings.from_params())
    with pytest.raises(DataError, match=re.escape(UNRATED + " opportunities")):
        wl.prepare_deals(opps, None, tables["fx_rates"], wl.Settings.from_params())


def test_reporting_currency_missing_from_a_table_quoted_in_another_is_an_error():
    fx = pd.DataFrame({"currency": ["USD", "EUR"], "rate_to_reporting": [1.0, 1.08]})
    with pytest.raises(ParamsError, match="'JPY' is not in fx_rates, whose rates are into USD"):
        conversion_rates(fx, "JPY")
    rates = conversion_rates(pd.DataFrame({"currency": ["EUR"], "rate_to_reporting": [1.08]}), "USD")
    assert rates.to_dict() == {"EUR": 1.08, "USD": 1.0}


def test_blank_currency_is_the_reporting_currency_and_said_once():
    notes: list[str] = []
    out = to_reporting(pd.Series([10.0, 20.0]), pd.Series([None, None]), None, "USD", "opportunities", notes)
    assert out.tolist() == [10.0, 20.0]
    assert notes == ["opportunities have no currency: amounts are taken to be in USD"]


@pytest.mark.parametrize(
    ("table", "reports"),
    [("opportunities", ["market_analysis", "win_loss"]), ("subscriptions", ["nps_retention", "churn_model"])],
)
def test_run_stops_before_any_kernel_for_every_report_that_adds_up_the_table(
    tmp_path, capsys, tables, table, reports
):
    frame = _with_chf(tables[table])
    frame.to_csv(tmp_path / f"{table}.csv", index=False)
    (tmp_path / "data.yaml").write_text(f"sample: true\ntables:\n  {table}:\n    path: {table}.csv\n")
    for report in reports:
        code = main(["run", report, "--data", str(tmp_path / "data.yaml"), "--out", str(tmp_path / "out")])
        err = capsys.readouterr().err
        assert code == 2, err
        assert f"{report}: {UNRATED} {table}; add a row for CHF to fx_rates" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").glob("*/*/run.json"))


def test_nps_converts_a_customers_snapshots_arr_like_every_other_amount():
    from revops_nb.reports import nps_retention as nps

    responses = pd.DataFrame({"account_id": ["A1", "A2"], "score": [9.0, 3.0]})
    customers = pd.DataFrame(
        {
            "account_id": ["A1", "A2"],
            "churned": [False, True],
            "arr": [1_000.0, 150_000.0],
            "currency": ["USD", "JPY"],
        }
    )
    fx = pd.DataFrame({"currency": ["USD", "JPY"], "rate_to_reporting": [1.0, 0.0067]})
    settings = nps.Settings.from_params()
    linked = nps.link_outcomes(nps.prepare_responses(responses, settings), settings, None, customers, fx)
    arr = linked.customers.set_index("account_id")["arr"]
    assert arr["A2"] == pytest.approx(1_005.0) and arr["A1"] == 1_000.0
    with pytest.raises(
        DataError, match=re.escape("fx_rates has no rate for currency 'JPY', used by 1 row(s) of customers")
    ):
        nps.link_outcomes(nps.prepare_responses(responses, settings), settings, None, customers, fx.iloc[:1])


def test_run_checks_mrr_only_subscriptions_before_any_kernel(tmp_path, capsys, tables):
    subs = _with_chf(tables["subscriptions"])
    subs = subs.assign(mrr=subs["arr"] / 12).drop(columns="arr")
    subs.to_csv(tmp_path / "subscriptions.csv", index=False)
    (tmp_path / "data.yaml").write_text(
        "sample: true\ntables:\n  subscriptions:\n    path: subscriptions.csv\n"
    )
    code = main(["run", "churn_model", "--data", str(tmp_path / "data.yaml"), "--out", str(tmp_path / "out")])
    assert code == 2 and UNRATED in capsys.readouterr().err
