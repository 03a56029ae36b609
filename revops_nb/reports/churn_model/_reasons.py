"""Why customers say they left: churn reasons as shares of churned accounts and of churned ARR.

A ``churn_events`` table gives each churned account a reason. Each account counts
once, under the reason of its latest event up to the as-of date (the first row listed
when two share that date); accounts whose event gives no reason form their own row,
so the shares add up to all churned accounts. The account share has a Wilson interval;
the ARR share, a ratio of sums, has a bootstrap interval that resamples accounts.
With ``support_tickets`` the reasons are also split by whether the account filed a
high-priority ticket in the 90 days before churning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from revops_nb import stats
from revops_nb.data.coercion import as_nanoseconds
from revops_nb.data.subscriptions import subscription_arr, with_end_date
from revops_nb.reports._currency import conversion_rates, to_reporting
from revops_nb.reports.churn_model._table import KEY
from revops_nb.reports.churn_model._tickets import TICKET_WINDOW_DAYS, is_high_priority

NO_REASON = "(no reason given)"
SIGNIFICANCE = 0.05  # a reason's share differs between churners with and without tickets below this Holm p
ARR_MATCH_DAYS = 31  # a subscription ending this close to the churn date is the ARR that churned
REASON_COLUMNS = ["reason", "accounts", "share", "ci_low", "ci_high", "arr", "arr_share", "arr_ci_low",
                  "arr_ci_high"]  # fmt: skip


@dataclass(frozen=True)
class LeaderTest:
    """The most frequent reason against the next one: a two-sided binomial test among their accounts."""

    first: str
    second: str
    first_n: int
    second_n: int
    p_value: float


@dataclass
class ReasonsBreakdown:
    """Churn reasons by share of churned accounts and of churned ARR, and what was left out."""

    table: pd.DataFrame
    accounts: int
    first_date: pd.Timestamp
    last_date: pd.Timestamp
    arr_accounts: int = 0
    arr_source: str = ""
    leader: LeaderTest | None = None
    by_support: pd.DataFrame | None = None
    support_accounts: int = 0
    support_differences: pd.DataFrame | None = None  # rows of by_support that differ clearly (Holm p < 0.05)
    notes: list[str] = field(default_factory=list)


def latest_reasons(events: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per churned account: its latest churn event up to ``as_of`` (reason text cleaned)."""
    ev = as_nanoseconds(events)
    ev = ev[ev[KEY].notna() & ev["churn_date"].notna()]
    if as_of is not None:
        ev = ev[ev["churn_date"] <= as_of]
    reason = ev["reason"] if "reason" in ev else pd.Series(np.nan, index=ev.index)
    ev = ev.assign(reason=reason.astype("object").where(reason.notna(), NO_REASON), _order=np.arange(len(ev)))
    ev = ev.sort_values(["churn_date", "_order"], ascending=[False, True], kind="stable")
    return ev.drop_duplicates(KEY)[[KEY, "churn_date", "reason"]].reset_index(drop=True)


def churned_arr(
    accounts: pd.DataFrame,
    subscriptions: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    fx_rates: pd.DataFrame | None = None,
    currency: str = "USD",
) -> tuple[pd.Series, str]:
    """ARR lost per churned account (reporting currency, NaN when unknown) and where it came from in words.

    From subscriptions: the ARR of the account's subscriptions that ended within
    ``ARR_MATCH_DAYS`` days of its churn date. Else from a customers snapshot's ``arr``.
    """
    ids = accounts[KEY]
    if subscriptions is not None and KEY in subscriptions.columns:
        subscriptions = with_end_date(subscriptions)
        subs = as_nanoseconds(subscriptions)
        arr = subscription_arr(subs)
        if "currency" in subs:
            arr = to_reporting(
                arr, subs["currency"], conversion_rates(fx_rates, currency), currency, "subscriptions"
            )
        ended = pd.DataFrame(
            {KEY: subs[KEY].to_numpy(), "_end": subs["end_date"].to_numpy(), "_arr": arr.to_numpy()}
        )
        ended = ended[ended["_end"].notna() & ended["_arr"].notna()]
        pairs = accounts[[KEY, "churn_date"]].merge(ended, on=KEY)
        close = (pairs["_end"] - pairs["churn_date"]).abs() <= pd.Timedelta(days=ARR_MATCH_DAYS)
        lost = pairs[close].groupby(KEY)["_arr"].sum()
        return (
            ids.map(lost).astype(float),
            f"subscriptions that ended within {ARR_MATCH_DAYS} days of the churn date",
        )
    if customers is not None and "arr" in customers:
        cust = customers.drop_duplicates(KEY)
        arr = pd.to_numeric(cust["arr"], errors="coerce").astype(float)
        if "currency" in cust:
            arr = to_reporting(
                arr, cust["currency"], conversion_rates(fx_rates, currency), currency, "customers"
            )
        return ids.map(pd.Series(arr.to_numpy(), index=cust[KEY])).astype(float), "the customers table's ARR"
    return pd.Series(np.nan, index=ids.index), ""


def _arr_share_interval(
    codes: np.ndarray, arr: np.ndarray, k: int, n_bootstrap: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap (resampling accounts) of each reason's share of churned ARR."""
    m = len(arr)
    if m < 2 or arr.sum() <= 0:
        return np.full(k, np.nan), np.full(k, np.nan)
    rng = np.random.default_rng(seed)
    shares = []
    chunk = max(1, min(n_bootstrap, 2_000_000 // m))
    for start in range(0, n_bootstrap, chunk):
        b = min(chunk, n_bootstrap - start)
        idx = rng.integers(0, m, size=(b, m))
        flat = (np.arange(b)[:, None] * k + codes[idx]).ravel()
        sums = np.bincount(flat, weights=arr[idx].ravel(), minlength=b * k).reshape(b, k)
        total = sums.sum(axis=1, keepdims=True)
        shares.append(np.divide(sums, total, out=np.full_like(sums, np.nan), where=total > 0))
    draws = np.vstack(shares)
    low, high = np.nanquantile(draws, [0.025, 0.975], axis=0)
    return low, high


def _leader(table: pd.DataFrame) -> LeaderTest | None:
    given = table[table["reason"] != NO_REASON].sort_values("accounts", ascending=False, kind="stable")
    if len(given) < 2:
        return None
    a, b = given.iloc[0], given.iloc[1]
    n = int(a["accounts"] + b["accounts"])
    p = sps.binomtest(int(a["accounts"]), n, 0.5).pvalue if n else np.nan
    return LeaderTest(str(a["reason"]), str(b["reason"]), int(a["accounts"]), int(b["accounts"]), float(p))


def support_split(
    accounts: pd.DataFrame, tickets: pd.DataFrame, window_days: int = TICKET_WINDOW_DAYS
) -> tuple[pd.DataFrame, int]:
    """Each reason's share among accounts with a high-priority ticket in the ``window_days`` before churning
    and among the others (Wilson CIs), with a two-proportion test per reason, Holm-adjusted across reasons.

    ``tickets`` needs a ``priority`` column. Returns the table and the number of accounts with such a ticket.
    """
    t = as_nanoseconds(tickets)
    t = t[t[KEY].astype(object).isin(accounts[KEY].astype(object)) & t["created_date"].notna()]
    t = t[is_high_priority(t["priority"]).to_numpy() > 0]
    t = t.merge(accounts[[KEY, "churn_date"]], on=KEY)
    before = (t["created_date"] < t["churn_date"]) & (
        t["created_date"] >= t["churn_date"] - pd.Timedelta(days=window_days)
    )
    heavy = accounts[KEY].astype(object).isin(t.loc[before, KEY].astype(object))
    n1, n0 = int(heavy.sum()), int((~heavy).sum())
    rows = []
    for reason in sorted(accounts["reason"].unique(), key=lambda r: (r == NO_REASON, str(r))):
        said = accounts["reason"] == reason
        k1, k0 = int((said & heavy).sum()), int((said & ~heavy).sum())
        test = stats.two_proportion_test(k1, n1, k0, n0)
        rows.append({"reason": reason, "with_ticket": k1 / n1 if n1 else np.nan, "with_n": n1,
                     "without_ticket": k0 / n0 if n0 else np.nan, "without_n": n0, "p_value": test.p_value,
                     "test": test.test, "_k1": k1, "_k0": k0})  # fmt: skip
    out = pd.DataFrame(rows)
    out["with_ci_low"], out["with_ci_high"] = stats.wilson_interval(out["_k1"], out["with_n"])
    out["without_ci_low"], out["without_ci_high"] = stats.wilson_interval(out["_k0"], out["without_n"])
    out["p_holm"] = stats.holm(out["p_value"].astype(float), 0.05)[0].to_numpy()
    cols = ["reason", "with_ticket", "with_ci_low", "with_ci_high", "with_n", "without_ticket", "without_ci_low",
            "without_ci_high", "without_n", "p_value", "p_holm", "test"]  # fmt: skip
    return out[cols], n1


def churn_reasons(
    events: pd.DataFrame,
    subscriptions: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    fx_rates: pd.DataFrame | None = None,
    currency: str = "USD",
    as_of: pd.Timestamp | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> ReasonsBreakdown:
    """Reasons by share of churned accounts (Wilson) and churned ARR (bootstrap).

    With no event up to ``as_of`` the breakdown has ``accounts == 0`` and an empty table.
    """
    accounts = latest_reasons(events, as_of)
    if accounts.empty:
        return ReasonsBreakdown(pd.DataFrame(columns=REASON_COLUMNS), 0, pd.NaT, pd.NaT)
    n = len(accounts)
    arr, arr_source = churned_arr(accounts, subscriptions, customers, fx_rates, currency)
    counts = accounts.groupby("reason").size()
    reasons = list(counts.sort_values(ascending=False, kind="stable").index)
    if NO_REASON in reasons:
        reasons = [r for r in reasons if r != NO_REASON] + [NO_REASON]
    out = pd.DataFrame({"reason": reasons, "accounts": counts.reindex(reasons).to_numpy()})
    out["share"] = out["accounts"] / n
    out["ci_low"], out["ci_high"] = stats.wilson_interval(out["accounts"], n)
    known = arr.notna().to_numpy()
    codes = pd.Index(reasons).get_indexer(accounts["reason"])
    values = arr.to_numpy()[known]
    lost = np.bincount(codes[known], weights=values, minlength=len(reasons))
    out["arr"] = lost if known.any() else np.nan
    total = values.sum()
    out["arr_share"] = lost / total if known.any() and total > 0 else np.nan
    out["arr_ci_low"], out["arr_ci_high"] = _arr_share_interval(
        codes[known], values, len(reasons), n_bootstrap, seed
    )
    result = ReasonsBreakdown(
        table=out[REASON_COLUMNS],
        accounts=n,
        first_date=accounts["churn_date"].min(),
        last_date=accounts["churn_date"].max(),
        arr_accounts=int(known.sum()),
        arr_source=arr_source,
        leader=_leader(out),
    )
    if tickets is not None and len(tickets) and "priority" in tickets:
        result.by_support, result.support_accounts = support_split(accounts, tickets)
        split = result.by_support
        result.support_differences = split[(split["p_holm"] < SIGNIFICANCE) & (split["reason"] != NO_REASON)]
    return result
