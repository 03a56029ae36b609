"""The embedded sample company: deterministic, complete, and carrying the planted effects it documents."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from revops_nb import data, sample
from revops_nb.data.contract import TABLES


@pytest.fixture(scope="module")
def company() -> dict[str, pd.DataFrame]:
    return sample.generate()


def customer_lives(subscriptions: pd.DataFrame) -> pd.DataFrame:
    """One row per customer: its first start and its churn date (NaT while a term runs).

    The sample's yearly terms are contiguous, so the last term's end is the churn date.
    """
    by_account = subscriptions.groupby("account_id", sort=False)
    running = by_account["end_date"].apply(lambda end: end.isna().any())
    return pd.DataFrame(
        {
            "start_date": by_account["start_date"].min(),
            "end_date": by_account["end_date"].max().where(~running),
        }
    ).reset_index()


@pytest.fixture(scope="module")
def lives(company) -> pd.DataFrame:
    return customer_lives(company["subscriptions"])


def test_every_canonical_table_is_generated_with_its_required_columns(company):
    assert set(company) == set(TABLES) == set(sample.TABLE_NAMES)
    for name, frame in company.items():
        assert len(frame) > 0, name
        assert set(TABLES[name].required) <= set(frame.columns), name


def test_same_seed_gives_identical_frames_and_other_seeds_differ():
    first = sample._generate_cached.__wrapped__(300, 5)
    again = sample._generate_cached.__wrapped__(300, 5)
    other = sample._generate_cached.__wrapped__(300, 6)
    for name in sample.TABLE_NAMES:
        pd.testing.assert_frame_equal(first[name], again[name])
    assert not first["opportunities"].equals(other["opportunities"])


def test_scale_sets_the_number_of_accounts_and_everything_grows_with_it():
    small, large = sample.generate(scale=200), sample.generate(scale=2000)
    assert len(small["accounts"]) == 200 and len(large["accounts"]) == 2000
    ratio = len(large["opportunities"]) / len(small["opportunities"])
    assert 8 < ratio < 12


def test_generate_returns_copies_callers_may_mutate():
    one = sample.generate(scale=200)
    one["accounts"].loc[0, "account_name"] = "changed"
    assert sample.generate(scale=200)["accounts"].loc[0, "account_name"] != "changed"


def test_sample_passes_the_data_contract_without_exclusions():
    ds = data.load()
    assert ds.exclusions().empty, ds.exclusions()


def test_realistic_noise(company):
    opps = company["opportunities"]
    open_deals = opps[~opps["is_closed"]]
    assert 0.05 < open_deals["amount"].isna().mean() < 0.15
    assert opps.loc[opps["is_closed"], "amount"].notna().all()
    assert opps["currency"].nunique() >= 5
    assert 0.01 < company["accounts"]["industry"].isna().mean() < 0.06
    assert 0.02 < opps["lead_source"].isna().mean() < 0.08
    assert (opps["close_date"].dropna() >= opps.loc[opps["close_date"].notna(), "created_date"]).all()


# ---------------------------------------------------------------- planted effects, per the docstring


def test_planted_competitor_lowers_the_win_rate(company):
    closed = company["opportunities"].query("is_closed")
    against = closed["competitor"] == sample.PLANTED_COMPETITOR
    rate_against, rate_other = closed.loc[against, "is_won"].mean(), closed.loc[~against, "is_won"].mean()
    assert 0.10 < rate_against < 0.20 and 0.25 < rate_other < 0.35
    assert rate_other - rate_against > 0.10


def test_each_decision_maker_raises_the_odds_of_winning(company):
    closed = company["opportunities"].query("is_closed").assign(won=lambda f: f["is_won"].astype(int))
    fit = smf.logit("won ~ decision_makers", closed).fit(disp=0)
    assert 0.25 < fit.params["decision_makers"] < 0.45  # planted +0.35 log-odds per person
    assert fit.pvalues["decision_makers"] < 1e-6


def test_partner_beats_outbound(company):
    closed = company["opportunities"].query("is_closed")
    rates = closed.groupby("lead_source")["is_won"].mean()
    assert rates["Partner"] > rates["Inbound"] > rates["Outbound"]


def test_detractors_churn_more_than_promoters(company, lives):
    subs, nps = lives, company["nps_responses"]
    linked = nps.merge(subs, on="account_id")
    linked = linked[linked["response_date"] <= sample.AS_OF - pd.Timedelta(days=365)]
    churned = linked["end_date"].notna() & (
        linked["end_date"] <= linked["response_date"] + pd.Timedelta(days=365)
    )
    category = pd.cut(linked["score"], [-1, 6, 8, 10], labels=["detractor", "passive", "promoter"])
    rates = churned.groupby(category, observed=True).mean()
    assert rates["detractor"] > rates["passive"] > rates["promoter"]
    assert 2.0 < rates["detractor"] / rates["promoter"] < 4.5


def test_usage_declines_before_churn(company, lives):
    usage = company["usage"].merge(lives[["account_id", "end_date"]], on="account_id")
    churners = usage[usage["end_date"].notna()]
    months_before = (churners["end_date"].dt.year - churners["period_start"].dt.year) * 12 + (
        churners["end_date"].dt.month - churners["period_start"].dt.month
    )
    level = churners.groupby(months_before)["active_users"].mean()
    assert 0.35 < level[0] / level[5] < 0.6  # falls to about 45% over the last 4 months


def test_customers_snapshot_has_features_from_before_the_outcome(company, lives):
    customers, subs = company["customers"], lives.set_index("account_id")
    snap = sample.SNAPSHOT_DATE
    start = subs.loc[customers["account_id"], "start_date"].to_numpy()
    end = subs.loc[customers["account_id"], "end_date"]
    assert (start <= snap).all() and (end.isna() | (end > snap)).all()  # active on the snapshot date
    horizon = snap + pd.Timedelta(days=sample.SNAPSHOT_HORIZON_DAYS)
    assert (customers["churned"].to_numpy() == (end.notna() & (end <= horizon)).to_numpy()).all()
    assert (customers["tenure_months"] <= (snap - pd.Timestamp(start.min())).days / 30.44 + 0.1).all()
    means = customers.groupby("churned")["last_nps"].mean()
    assert means[False] - means[True] > 0.8  # the sentiment effect, measured before the outcome
    assert 0.05 < customers["churned"].mean() < 0.2


def test_planted_region_grows_fastest(company):
    opps = company["opportunities"].assign(year=lambda f: f["created_date"].dt.year)
    counts = opps[opps["year"].isin([2024, 2025])].groupby(["region", "year"]).size().unstack()
    growth = counts[2025] / counts[2024] - 1
    assert growth.idxmax() == sample.FASTEST_GROWING_REGION
    assert growth[sample.FASTEST_GROWING_REGION] > 0.5
    assert (growth.drop(sample.FASTEST_GROWING_REGION) < 0.4).all()


def test_q4_seasonality(company):
    created = company["opportunities"]["created_date"]
    full_years = created[created < "2026-01-01"]
    assert 0.29 < (full_years.dt.quarter == 4).mean() < 0.38


def test_lost_deals_take_longer(company):
    closed = company["opportunities"].query("is_closed")
    days = (closed["close_date"] - closed["created_date"]).dt.days
    ratio = days[~closed["is_won"]].median() / days[closed["is_won"]].median()
    assert 1.2 < ratio < 1.5
    by_segment = days.groupby(closed["segment"]).median()
    assert by_segment["Enterprise"] > 2 * by_segment["SMB"]


def test_scale_must_be_meaningful():
    with pytest.raises(ValueError, match="at least 50"):
        sample.generate(scale=10)
    assert np.isfinite(sample.table("market")["addressable_arr"]).all()


def test_sample_text_is_already_clean_so_the_loader_may_trust_it(company):
    from revops_nb.data.coercion import clean_text

    for name, frame in company.items():
        for col in frame.columns:
            if pd.api.types.is_string_dtype(frame[col]):
                cleaned = clean_text(frame[col])
                pd.testing.assert_series_equal(
                    cleaned, frame[col].astype("str"), check_names=False, obj=f"{name}.{col}"
                )


def test_churners_file_more_urgent_and_less_satisfied_tickets_before_churning(company, lives):
    tickets = company["support_tickets"]
    end = tickets["account_id"].map(lives.set_index("account_id")["end_date"])
    before_churn = end.notna() & ((end - tickets["created_date"]).dt.days <= sample.TICKET_SURGE_DAYS)
    high = tickets["priority"].isin(sample.HIGH_PRIORITIES)
    assert 0.15 < high[~before_churn].mean() < 0.25 and 0.40 < high[before_churn].mean() < 0.60
    csat = tickets["satisfaction"].astype(float)
    assert csat[~before_churn].mean() - csat[before_churn].mean() > 1.0  # about 4.1 vs 2.5
    assert (tickets["created_date"] < end.fillna(sample.AS_OF)).all()  # nothing after a customer left
    assert tickets["resolution_hours"].isna().any() and (tickets["resolution_hours"].dropna() >= 0).all()


def test_support_heavy_churners_say_poor_support(company, lives):
    events, tickets = company["churn_events"], company["support_tickets"]
    subs = lives
    assert sorted(events["account_id"]) == sorted(subs.loc[subs["end_date"].notna(), "account_id"])
    churn = tickets["account_id"].map(events.set_index("account_id")["churn_date"])
    days = (churn - tickets["created_date"]).dt.days
    urgent = tickets[tickets["priority"].isin(sample.HIGH_PRIORITIES) & (days <= sample.TICKET_SURGE_DAYS)]
    heavy = (
        events["account_id"].map(urgent.groupby("account_id").size()).fillna(0)
        >= sample.SUPPORT_HEAVY_TICKETS
    )
    poor = events["reason"] == "Poor support"
    assert poor[heavy].mean() > 0.35 and poor[~heavy].mean() < 0.15  # planted 0.45 vs 0.08
    assert set(events["reason"].dropna()) == set(sample.CHURN_REASONS)
    assert 0.01 < events["reason"].isna().mean() < 0.10


# ---------------------------------------------------------------- effects 11-14: terms, funnel, leads, spend


def test_subscription_terms_are_contiguous_and_change_arr_on_anniversaries(company, lives):
    subs = company["subscriptions"].sort_values(["account_id", "start_date"], kind="stable")
    nxt = subs.groupby("account_id")["start_date"].shift(-1)
    inner = nxt.notna()
    assert (subs.loc[inner, "end_date"] == nxt[inner]).all()  # no gap, no overlap
    assert ((subs.loc[inner, "end_date"] - subs.loc[inner, "start_date"]).dt.days == sample.TERM_DAYS).all()
    assert lives["account_id"].is_unique and len(lives) == subs["account_id"].nunique()
    change = subs.groupby("account_id")["arr"].pct_change().dropna()
    assert 0.6 < (change > 0).mean() < 0.85  # about 70% of renewals expand
    assert 0.07 < change.mean() < 0.2  # by about +10% (more for the healthier survivors)
    assert len(subs) > 1.5 * len(lives)


def test_stage_history_carries_the_planted_funnel(company):
    opps, stages = company["opportunities"], company["opportunity_stages"]
    closed = opps[opps["is_closed"]]
    w = closed["is_won"].mean()
    reached = (
        stages[stages["stage"].isin(sample.OPEN_STAGES)]
        .groupby("opportunity_id")
        .size()
        .reindex(closed["opportunity_id"])
    )
    expected = [1.0, w + 0.6 * (1 - w), w + 0.3 * (1 - w), w + 0.1 * (1 - w)]
    for k, share in enumerate(expected, start=1):
        assert abs((reached >= k).mean() - share) < 0.02, (k, (reached >= k).mean(), share)
    first = stages.groupby("opportunity_id", sort=False).first()
    assert (first["stage"] == "Prospecting").all()
    assert (first["entered_date"] == opps.set_index("opportunity_id").loc[first.index, "created_date"]).all()
    last = stages.groupby("opportunity_id", sort=False).last().loc[closed["opportunity_id"]]
    assert (last["entered_date"] == closed.set_index("opportunity_id")["close_date"]).all()
    assert (stages.groupby("opportunity_id")["entered_date"].diff().dropna().dt.days >= 0).all()


def test_leads_carry_the_planted_conversion_rates(company):
    leads = company["leads"]
    nb = company["opportunities"].query("opportunity_type == 'New Business'")
    assert set(leads["opportunity_id"].dropna()) == set(nb["opportunity_id"])
    mql, sql, opp = leads["mql_date"].notna(), leads["sql_date"].notna(), leads["opportunity_id"].notna()
    assert abs(mql.mean() - sample.LEAD_TO_MQL) < 0.02
    assert abs(opp.sum() / sql.sum() - sample.SQL_TO_OPPORTUNITY) < 0.03
    for source, rate in sample.MQL_TO_SQL.items():
        of_source = leads["source"] == source
        assert abs(sql[of_source].sum() / mql[of_source].sum() - rate) < 0.04, source
    assert (leads["created_date"] <= leads["mql_date"].fillna(sample.AS_OF)).all()
    assert (leads["mql_date"].dropna() <= leads.loc[mql, "sql_date"].fillna(sample.AS_OF)).all()


def test_marketing_spend_per_new_customer_is_the_planted_cac(company, lives):
    spend = company["marketing_spend"]
    won = company["opportunities"].query("is_won").sort_values("close_date", kind="stable")
    channel = lives["account_id"].map(
        won.drop_duplicates("account_id").set_index("account_id")["lead_source"]
    )
    cac = spend.groupby("channel")["spend"].sum() / channel.value_counts()
    for name, planted in sample.CHANNEL_CAC_USD.items():
        assert abs(cac[name] / planted - 1) < 0.1, (name, cac[name])
    assert (spend["spend"] >= 0).all() and spend["period"].dt.is_month_start.all()


def test_targets_sit_above_the_bookings_trend_and_reach_the_coming_quarters(company):
    targets = company["targets"]
    assert targets["period"].dt.is_quarter_start.all() and targets["period"].max() > sample.AS_OF
    won = company["opportunities"].query("is_won")
    rate = won["currency"].map(company["fx_rates"].set_index("currency")["rate_to_reporting"])
    booked = (won["amount"] * rate).groupby(won["close_date"].dt.to_period("Q").dt.start_time).sum()
    past = targets.set_index("period")["target"].reindex(booked.index).dropna()
    attainment = booked.loc[past.index].sum() / past.sum()
    assert 0.8 < attainment < 1.0  # targets sit about 10% above the trend
