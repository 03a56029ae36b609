"""Each response tied to the outcome that followed it: subscriptions first, else a customers snapshot.

With subscriptions, a response is *retained* when its account is still a customer
``horizon_days`` after it; the outcome is known only once the whole horizon has
passed by ``as_of``. With a customers snapshot the churn flag is the outcome (no
horizon, no dates needed). Undated responses with only ``subscriptions`` cannot be
tied to what followed them: the link is empty and :attr:`Linked.note` says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.data.subscriptions import active_on, ended_by, observed_until, subscription_arr, with_end_date
from revops_nb.errors import DataError
from revops_nb.reports._currency import conversion_rates, to_reporting
from revops_nb.reports.nps_retention._responses import Responses, count_excluded
from revops_nb.reports.nps_retention.settings import Settings

NEEDS_DATES_TO_LINK = (
    "retention after a response needs response dates to tie it to the subscriptions "
    "(or a customers table with a churn flag), and these survey responses have none"
)


@dataclass
class Linked:
    """Responses tied to the outcome that followed them.

    ``responses`` holds every in-scope response with ``linked`` (outcome known:
    the whole horizon has passed by ``as_of``), ``churned`` (within the horizon,
    or the snapshot flag), ``arr`` and, in subscriptions mode,
    ``duration_days``/``event`` for survival curves. ``accounts`` is one row per
    account: its first linked response (the horizon analyses). ``followed`` is
    one row per account through its first *eligible* response, whether or not
    the horizon is over, for Kaplan–Meier curves, where a short follow-up is
    censored rather than dropped. ``note`` says why no response could be
    linked at all (e.g. undated responses with only subscriptions), else ''.
    """

    responses: pd.DataFrame
    accounts: pd.DataFrame
    customers: pd.DataFrame
    mode: str
    as_of: pd.Timestamp | None
    excluded: dict[str, int] = field(default_factory=dict)
    followed: pd.DataFrame | None = None
    note: str = ""

    @property
    def n_linked(self) -> int:
        return int(self.responses["linked"].sum())


def link_outcomes(
    responses: Responses,
    settings: Settings,
    subscriptions: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    fx_rates: pd.DataFrame | None = None,
) -> Linked:
    """Tie each response to its account's outcome: subscriptions first, else a customers snapshot.

    Subscriptions need response dates (churn *within a horizon after* the
    response); undated responses with only subscriptions link to nothing, and
    the result's ``note`` says why, so the NPS sections still render.
    """
    if subscriptions is not None and responses.has_dates:
        return _link_subscriptions(responses, settings, subscriptions, fx_rates)
    if customers is not None:
        return _link_customers(responses, customers, fx_rates, settings.reporting_currency)
    if subscriptions is not None:
        return _link_nothing(responses, settings, subscriptions, fx_rates)
    raise DataError("this report needs a subscriptions table or a customers table to link outcomes")


def account_history(
    subscriptions: pd.DataFrame,
    fx_rates: pd.DataFrame | None,
    as_of: pd.Timestamp | None,
    reporting_currency: str = "USD",
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """One row per customer account: start, churn date (NaT while active), current ARR.

    ARR is in ``reporting_currency``; a currency without a rate is a :class:`DataError`.
    """
    subs = with_end_date(subscriptions).copy()
    subs.attrs = {}  # the sample carries arrays in attrs, which pandas cannot compare on concat
    subs["arr_usd"] = _arr_usd(subs, fx_rates, reporting_currency)
    if as_of is None:
        as_of = observed_until(subs)
    ended = ended_by(subs["end_date"], as_of)
    active = active_on(subs["start_date"], subs["end_date"], as_of)
    grouped = subs.groupby("account_id", sort=True)
    out = pd.DataFrame(
        {
            "start_date": grouped["start_date"].min(),
            "last_end": subs["end_date"].where(ended).groupby(subs["account_id"]).max(),
            "n_active": active.groupby(subs["account_id"]).sum(),
            "arr_now": subs["arr_usd"].where(active, 0.0).groupby(subs["account_id"]).sum(),
        }
    )
    out["churn_date"] = out["last_end"].where(out["n_active"] == 0)
    out["churned"] = out["churn_date"].notna()
    return out.drop(columns=["last_end"]).reset_index(), as_of


def _arr_usd(subs: pd.DataFrame, fx_rates: pd.DataFrame | None, reporting_currency: str = "USD") -> pd.Series:
    """ARR per subscription in the reporting currency (the reporting currency itself is rate 1).

    The one currency policy (:mod:`revops_nb.reports._currency`): a currency with no rate
    in ``fx_rates`` (or any foreign currency without an fx table) raises a
    :class:`DataError` naming it, instead of silently counting as zero ARR.
    """
    arr = subscription_arr(subs)
    currencies = subs.get("currency")
    rates = conversion_rates(fx_rates, reporting_currency)
    return to_reporting(arr, currencies, rates, reporting_currency, "subscriptions")


def _link_subscriptions(
    responses: Responses, settings: Settings, subscriptions: pd.DataFrame, fx_rates: pd.DataFrame | None
) -> Linked:
    subscriptions = with_end_date(subscriptions)
    as_of = settings.as_of
    if as_of is None:  # observed dates only: a scheduled end must not date the data in the future
        as_of = observed_until(subscriptions, responses.frame["response_date"])
    history, as_of = account_history(subscriptions, fx_rates, as_of, settings.reporting_currency)
    frame = responses.frame.merge(history, on="account_id", how="left", validate="many_to_one")
    frame["arr"] = _arr_at_response(frame, subscriptions, fx_rates, settings.reporting_currency)
    r = frame["response_date"]
    horizon = pd.Timedelta(days=settings.horizon_days)
    no_customer = frame["start_date"].isna()
    undated = r.isna() & ~no_customer
    after_churn = frame["churn_date"].notna() & (frame["churn_date"] <= r)
    churned = frame["churn_date"].notna() & (frame["churn_date"] > r) & (frame["churn_date"] <= r + horizon)
    # Known only once the whole horizon has passed, for churners and survivors alike: counting
    # early churners while recent survivors wait would bias retention down.
    known = r + horizon <= as_of
    pending = ~no_customer & ~undated & ~after_churn & ~known
    excluded: dict[str, int] = {}
    count_excluded(excluded, "account has no subscription", no_customer)
    count_excluded(excluded, "response date missing", undated)
    count_excluded(excluded, "response after the account churned", after_churn)
    count_excluded(
        excluded,
        f"outcome not yet known ({settings.horizon_days}-day horizon ends after {as_of:%Y-%m-%d})",
        pending,
    )
    frame["linked"] = ~(no_customer | undated | after_churn | pending)
    frame["churned"] = churned & frame["linked"]
    frame["eligible"] = ~(no_customer | undated | after_churn) & (r <= as_of)
    end = frame["churn_date"].fillna(as_of)
    frame["duration_days"] = (end - r).dt.days.astype(float).where(frame["eligible"])
    frame["event"] = frame["churn_date"].notna().astype(int)
    customers = history.rename(columns={"arr_now": "arr"})
    return _finish_link(frame, customers, "subscriptions", as_of, excluded)


def _arr_at_response(
    frame: pd.DataFrame, subscriptions: pd.DataFrame, fx_rates, reporting_currency: str = "USD"
) -> np.ndarray:
    """ARR (reporting currency) of the account's subscriptions active on the response date; else its latest."""
    subs = subscriptions[["account_id", "start_date", "end_date"]].assign(
        arr_usd=_arr_usd(subscriptions, fx_rates, reporting_currency)
    )
    pairs = frame[["response_id", "account_id", "response_date"]].merge(subs, on="account_id", how="inner")
    active = active_on(pairs["start_date"], pairs["end_date"], pairs["response_date"])
    at_response = pairs["arr_usd"].where(active).groupby(pairs["response_id"]).sum(min_count=1)
    latest = pairs.sort_values("start_date", kind="stable").groupby("response_id")["arr_usd"].last()
    arr = at_response.combine_first(latest)
    return frame["response_id"].map(arr).to_numpy(dtype=float)


def _link_customers(
    responses: Responses, customers: pd.DataFrame, fx_rates: pd.DataFrame | None, reporting_currency: str
) -> Linked:
    snap = customers.drop_duplicates("account_id").copy()
    snap["churned"] = snap["churned"].astype("boolean")
    if "arr" not in snap:
        snap["arr"] = np.nan
    rates = conversion_rates(fx_rates, reporting_currency)  # the one currency policy, as for subscriptions
    snap["arr"] = to_reporting(snap["arr"], snap.get("currency"), rates, reporting_currency, "customers")
    frame = responses.frame.merge(
        snap[["account_id", "churned", "arr"]], on="account_id", how="left", validate="many_to_one"
    )
    excluded: dict[str, int] = {}
    no_customer = ~frame["account_id"].isin(snap["account_id"])
    no_flag = ~no_customer & frame["churned"].isna()
    count_excluded(excluded, "account not in customers", no_customer)
    count_excluded(excluded, "churn flag missing", no_flag)
    frame["linked"] = ~(no_customer | no_flag)
    frame["churned"] = frame["churned"].fillna(False).astype(bool) & frame["linked"]
    frame["arr"] = frame["arr"].astype(float)
    frame["duration_days"] = np.nan
    frame["event"] = frame["churned"].astype(int)
    frame["eligible"] = frame["linked"]
    customers_out = snap[["account_id", "churned", "arr"]].assign(
        churned=snap["churned"].fillna(False).astype(bool)
    )
    return _finish_link(frame, customers_out, "customers", None, excluded)


def _link_nothing(
    responses: Responses, settings: Settings, subscriptions: pd.DataFrame, fx_rates: pd.DataFrame | None
) -> Linked:
    """Undated responses and subscriptions: no response is linked; customers still come from history."""
    history, as_of = account_history(subscriptions, fx_rates, settings.as_of, settings.reporting_currency)
    frame = responses.frame.copy()
    frame["arr"] = np.nan
    frame["linked"] = frame["churned"] = frame["eligible"] = False
    frame["duration_days"] = np.nan
    frame["event"] = 0
    excluded = {"response date missing (needed to tie a response to the subscriptions)": len(frame)}
    customers = history.rename(columns={"arr_now": "arr"})
    linked = _finish_link(frame, customers, "subscriptions", as_of, excluded)
    linked.note = NEEDS_DATES_TO_LINK
    return linked


def _finish_link(frame, customers, mode: str, as_of, excluded: dict[str, int]) -> Linked:
    frame["retained"] = ~frame["churned"]
    linked = frame[frame["linked"]]
    accounts = linked.drop_duplicates("account_id", keep="first").reset_index(drop=True)
    eligible = frame[frame["eligible"]]
    followed = eligible.drop_duplicates("account_id", keep="first").reset_index(drop=True)
    return Linked(frame, accounts, customers, mode, as_of, excluded, followed)
