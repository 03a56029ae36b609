"""One definition of active, ARR and churned: the same subscriptions give the same figures in every report."""

from __future__ import annotations

import pandas as pd
import pytest

from revops_nb.data.subscriptions import DEFINITION, active_on, subscription_arr
from revops_nb.reports import market_analysis as market
from revops_nb.reports import nps_retention as nps
from revops_nb.reports.churn_model import history_table

DAY = pd.Timestamp("2025-06-30")


def _edge_subscriptions() -> pd.DataFrame:
    """Each account sits on an edge of the definition on DAY."""
    rows = [
        ("starts_on_day", "2025-06-30", None, 100.0, None),  # active: started on the day
        (
            "ends_on_day",
            "2024-01-01",
            "2025-06-30",
            200.0,
            None,
        ),  # churned: end_date is the first day without
        ("ends_next_day", "2024-01-01", "2025-07-01", 400.0, None),  # active on its last day
        ("open", "2024-01-01", None, None, 50.0),  # active, ARR from MRR x 12
        ("not_yet", "2025-07-01", None, 800.0, None),  # not a customer yet
        ("two_subs", "2024-01-01", None, 1000.0, None),  # both count: ARR is summed
        ("two_subs", "2025-01-01", "2026-01-01", 3000.0, None),
    ]
    frame = pd.DataFrame(rows, columns=["account_id", "start_date", "end_date", "arr", "mrr"])
    for col in ("start_date", "end_date"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    return frame


EXPECTED_ARR = {"starts_on_day": 100.0, "ends_next_day": 400.0, "open": 600.0, "two_subs": 4000.0}


def test_the_rule_on_its_edges():
    subs = _edge_subscriptions()
    on = active_on(subs["start_date"], subs["end_date"], DAY)
    arr = subscription_arr(subs).where(on).groupby(subs["account_id"]).sum(min_count=1).dropna()
    assert arr.to_dict() == EXPECTED_ARR
    assert "start_date ≤ day < end_date" in DEFINITION


def test_market_and_nps_count_the_same_customers_and_arr_on_a_day():
    subs = _edge_subscriptions().assign(region="NA")
    subs["arr"] = subscription_arr(subs)  # as market's prepare_subscriptions does
    deals = pd.DataFrame(columns=["account_id", "is_won", "close_date", "region"])
    market_base = market.customer_base(subs, deals, DAY, ["region"]).set_index("account_id")["arr"]
    history, _ = nps.account_history(subs, None, DAY)
    nps_arr = history.set_index("account_id")["arr_now"]
    assert market_base.to_dict() == EXPECTED_ARR
    assert nps_arr[nps_arr > 0].to_dict() == EXPECTED_ARR
    churned = history.set_index("account_id")["churned"]
    assert churned[churned].index.tolist() == ["ends_on_day"]


def test_churn_model_scores_the_customers_of_its_as_of_day_with_the_same_arr():
    subs = _edge_subscriptions()
    table = history_table({"subscriptions": subs}, horizon_days=30, step_days=30, as_of=DAY)
    current = table.current.set_index("account_id")["arr"]
    assert current.to_dict() == pytest.approx(EXPECTED_ARR)


# ---------------------------------------------------------------- scheduled ends and optional end dates


def _sample_with_a_scheduled_end() -> tuple[dict, dict]:
    """The sample, and the same with one open subscription given an end date far after the data."""
    from revops_nb import sample

    names = ("subscriptions", "nps_responses", "usage", "fx_rates")
    tables = {name: sample.table(name, scale=600) for name in names}
    changed = dict(tables)
    subs = tables["subscriptions"].copy()
    subs.attrs = {}
    subs.loc[subs["end_date"].isna().idxmax(), "end_date"] = pd.Timestamp("2027-06-30")
    changed["subscriptions"] = subs
    return tables, changed


def test_a_scheduled_end_date_does_not_move_the_data_into_the_future():
    from revops_nb.data.subscriptions import observed_until, scheduled_ends
    from revops_nb.reports.churn_model._history import data_end

    tables, changed = _sample_with_a_scheduled_end()
    assert data_end(changed) == data_end(tables) < pd.Timestamp("2027-01-01")
    subs = changed["subscriptions"]
    assert observed_until(subs, changed["nps_responses"]["response_date"]) == data_end(tables)
    assert scheduled_ends(subs, data_end(tables)) == 1
    later = pd.Timestamp("2027-07-01")  # a report run once that end has passed counts it
    assert observed_until(subs, today=later) == pd.Timestamp("2027-06-30")


def test_nps_links_the_same_responses_when_one_end_is_scheduled():
    tables, changed = _sample_with_a_scheduled_end()
    settings = nps.Settings.from_params()
    linked = [
        nps.link_outcomes(
            nps.prepare_responses(t["nps_responses"], settings),
            settings,
            t["subscriptions"],
            None,
            t["fx_rates"],
        )
        for t in (tables, changed)
    ]
    assert linked[0].as_of == linked[1].as_of and linked[0].n_linked == linked[1].n_linked


def test_subscriptions_without_an_end_date_column_run_in_nps_and_churn():
    subs = _edge_subscriptions().drop(columns="end_date")
    history, as_of = nps.account_history(subs, None, None)
    assert not history["churned"].any() and as_of == pd.Timestamp("2025-07-01")  # its latest start
    table = history_table({"subscriptions": subs}, horizon_days=30, step_days=30, as_of=DAY)
    assert table.frame["churned"].sum() == 0
