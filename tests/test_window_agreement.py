"""The same deals give the same totals and win rate in every report, read back from CSV exports.

The scenario is the one a new user tried: an export of deals closed over four whole
quarters. The market report once left out the first quarter as "ramp-up" from its
totals (11% less bookings than the CRM) and its win rate disagreed with win/loss.
"""

from __future__ import annotations

import pandas as pd
import pytest

from revops_nb import data
from revops_nb.reports import market_analysis as market
from revops_nb.reports import win_loss as wl
from revops_nb.sample_export import write_sample

FIRST, LAST = "2024-01-01", "2024-12-31"


@pytest.fixture(scope="module")
def four_quarters(tmp_path_factory) -> data.Dataset:
    """The sample written to CSV, its opportunities cut to deals created and closed in 2024."""
    folder = tmp_path_factory.mktemp("four_quarters")
    data_yaml = write_sample(folder, scale=1500)
    opps = pd.read_csv(folder / "opportunities.csv")
    created = opps["created_date"].between(FIRST, LAST)
    closed_in = opps["close_date"].between(FIRST, LAST)
    is_open = ~opps["stage"].isin(["Closed Won", "Closed Lost"])
    opps = opps[created & (closed_in | is_open)]
    opps.loc[is_open, "close_date"] = None
    assert opps.loc[~is_open, "close_date"].max() == LAST  # the export runs to the quarter's last day
    opps.to_csv(folder / "opportunities.csv", index=False)
    return data.load(["opportunities", "accounts", "fx_rates"], data_file=data_yaml)


def test_market_totals_cover_every_whole_quarter_and_match_the_crm(four_quarters):
    opps, fx = four_quarters["opportunities"], four_quarters["fx_rates"]
    result = market.analyze(four_quarters, market.Settings.from_params())
    rate = fx.set_index("currency")["rate_to_reporting"]
    won = opps[opps["is_won"]]
    crm_bookings = (won["amount"] * won["currency"].map(rate)).sum()
    figures = result.key_figures()
    assert [str(p) for p in result.window.periods] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert figures["bookings_total"] == pytest.approx(crm_bookings, rel=1e-12)
    assert figures["n_closed"] == int(opps["is_closed"].sum())
    assert figures["window"] == f"{FIRST} to {LAST}"
    assert result.window.ramp_up_skipped  # the ramp-up still protects the growth base only
    assert "2024Q1" not in [str(p) for p in result.window.growth_periods]


def test_market_and_win_loss_give_the_same_win_rate_for_the_same_deals(four_quarters):
    m = market.analyze(four_quarters, market.Settings.from_params()).key_figures()
    w = wl.analyze(four_quarters, wl.Settings.from_params()).key_figures()
    for name in ("n_closed", "win_rate", "win_rate_ci_low", "win_rate_ci_high"):
        assert m[name] == pytest.approx(w[name], rel=1e-12), name
    assert m["bookings_total"] == pytest.approx(w["won_amount"], rel=1e-12)
    assert m["window"].endswith(LAST) and w["window"].endswith(LAST)


def test_closed_deals_without_a_close_date_count_the_same_in_both_reports():
    from revops_nb import sample

    tables = {name: sample.table(name, scale=800) for name in ("opportunities", "accounts", "fx_rates")}
    opps = tables["opportunities"].copy()
    lost = opps.index[opps["is_closed"] & ~opps["is_won"]]
    opps.loc[lost[::5], "close_date"] = pd.NaT  # a fifth of the lost deals lack a close date
    tables["opportunities"] = opps
    m = market.analyze(tables, market.Settings.from_params())
    w = wl.analyze(tables, wl.Settings.from_params()).key_figures()
    figures = m.key_figures()
    assert figures["n_closed"] == w["n_closed"] and figures["win_rate"] == pytest.approx(w["win_rate"])
    assert any("have no close date; the win rate counts them" in note for note in m.notes)
