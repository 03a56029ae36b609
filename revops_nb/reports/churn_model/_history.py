"""History mode: observation rows from subscription history, described only by data dated before them.

Every ``step_days`` a customer with an active subscription is observed; its features
are computed only from data dated strictly before that date (subscriptions, usage,
NPS responses, support tickets, account attributes), and its label says whether it
had no active subscription ``horizon_days`` later.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from revops_nb.data.coercion import as_nanoseconds
from revops_nb.data.subscriptions import active_on, observed_until, subscription_arr, with_end_date
from revops_nb.errors import DataError, ParamsError
from revops_nb.reports._currency import conversion_rates, to_reporting
from revops_nb.reports.churn_model._table import DATE, KEY, LABEL, ModelTable
from revops_nb.reports.churn_model._tickets import ticket_features

USAGE_MONTHS = 3
ACCOUNT_FEATURES = ("region", "segment", "industry", "country", "employees")
USAGE_KEYS = (KEY, "period_start")


def observation_dates(
    first_start: pd.Timestamp, as_of: pd.Timestamp, horizon_days: int, step_days: int
) -> pd.DatetimeIndex:
    """Labeled dates every ``step_days`` back from ``as_of - horizon_days``, plus ``as_of`` (unlabeled).

    The first date leaves ``horizon_days`` of history after ``first_start`` so
    that early rows have some tenure and usage to describe them.
    """
    if horizon_days <= 0:
        raise ParamsError(f"parameter 'horizon_days' must be a positive number of days, got {horizon_days}")
    if step_days <= 0:
        raise ParamsError(f"parameter 'step_days' must be a positive number of days, got {step_days}")
    last = as_of - pd.Timedelta(days=horizon_days)
    earliest = first_start + pd.Timedelta(days=horizon_days)
    if last <= earliest:
        raise DataError(
            f"subscriptions span {first_start:%Y-%m-%d} to {as_of:%Y-%m-%d}: too short for a "
            f"{horizon_days}-day horizon with history before it"
        )
    n = int((last - earliest).days // step_days) + 1
    labeled = pd.DatetimeIndex([last - pd.Timedelta(days=step_days * k) for k in range(n)][::-1])
    return labeled.append(pd.DatetimeIndex([as_of])).as_unit("ns")  # the loader's unit


def data_end(tables: dict[str, pd.DataFrame | None]) -> pd.Timestamp:
    """The 'as of' date of the data: the latest observed start, response or end (not a scheduled end).

    An end date after everything else the data observed is a scheduled end; counting it
    would put the observation dates, and their labels, in the future.
    """
    nps = tables.get("nps_responses")
    responses = nps["response_date"] if nps is not None and "response_date" in nps else None
    return observed_until(with_end_date(tables["subscriptions"]), responses)


def history_table(
    tables: dict[str, pd.DataFrame | None],
    horizon_days: int = 90,
    step_days: int = 30,
    as_of: pd.Timestamp | None = None,
    currency: str = "USD",
) -> ModelTable:
    """Observation rows from ``subscriptions`` (+ ``usage``, ``nps_responses``, ``support_tickets``,
    ``accounts``, ``fx_rates``).

    Features at date t use only rows dated before t: subscriptions started before
    t, usage months that ended by t, NPS responses before t, tickets opened before t
    (and their resolution and satisfaction only once closed before t). The label is 1 when
    a customer active at t has no active subscription at t + ``horizon_days``.
    The last date, the start of the day after ``as_of``, is unlabeled: those rows are the
    customers of ``as_of`` (active on it by the shared rule, as in every report), to score.
    """
    tables = {name: as_nanoseconds(frame) for name, frame in tables.items()}
    subs = _subscriptions(tables["subscriptions"], tables.get("fx_rates"), currency)
    end = pd.Timestamp(as_of).as_unit("ns") if as_of is not None else data_end(tables)
    scoring = end + pd.Timedelta(days=1)  # the start of the next day: everything of as_of is known
    dates = observation_dates(subs["start_date"].min(), scoring, horizon_days, step_days)
    rows = _active_rows(subs, dates, horizon_days)
    rows = _add_arr_change(rows, subs)
    numeric = ["tenure_days", "arr", "arr_change_90d", "active_subscriptions"]
    usage = tables.get("usage")
    if usage is not None and len(usage):
        rows, usage_cols = _add_usage(rows, usage)
        numeric += usage_cols
    nps = tables.get("nps_responses")
    if nps is not None and len(nps) and "response_date" in nps:
        rows = _add_nps(rows, nps)
        numeric += ["last_nps", "days_since_nps"]
    notes: list[str] = []
    tickets = tables.get("support_tickets")
    if tickets is not None and len(tickets):
        rows, ticket_cols, notes = ticket_features(rows, tickets)
        numeric += ticket_cols
    categorical: list[str] = []
    accounts = tables.get("accounts")
    if accounts is not None:
        rows, num_acc, cat_acc = _add_accounts(rows, accounts)
        numeric += num_acc
        categorical += cat_acc
    rows = rows.sort_values([DATE, KEY], kind="stable").reset_index(drop=True)
    labeled = rows[rows[DATE] < scoring].reset_index(drop=True)
    current = rows[rows[DATE] == scoring].drop(columns=[LABEL]).reset_index(drop=True)
    labeled[LABEL] = labeled[LABEL].astype(bool)
    return ModelTable(
        labeled, numeric + categorical, numeric, categorical, "history", current, as_of=end, notes=notes
    )


def _subscriptions(subs: pd.DataFrame, fx: pd.DataFrame | None, currency: str = "USD") -> pd.DataFrame:
    """Subscriptions with start, end and ARR in the reporting currency (ARR from MRR x 12 when needed).

    A currency without an fx rate (or foreign amounts without an fx table) is a DataError,
    not ARR silently dropped from the ARR at risk.
    """
    out = subs[[KEY, "start_date"]].copy()
    out["end_date"] = with_end_date(subs)["end_date"]
    arr = subscription_arr(subs)
    if "currency" in subs:
        arr = to_reporting(arr, subs["currency"], conversion_rates(fx, currency), currency, "subscriptions")
    out["arr"] = arr.to_numpy(dtype=float)
    out = out[out[KEY].notna() & out["start_date"].notna()]
    if out.empty:
        raise DataError("subscriptions table: no row has both an account_id and a start_date")
    return out.reset_index(drop=True)


def _active_matrix(subs: pd.DataFrame, dates: pd.DatetimeIndex) -> np.ndarray:
    """[subscription, date] True when the subscription counts at an observation date.

    An observation date t is the start of that day: the model knows the data up to the
    end of the day before, so a subscription counts when it is active on t - 1 day by the
    shared definition (started before t, not ended before t). Nothing dated t is used.
    """
    start = subs["start_date"].to_numpy()[:, None]
    end = subs["end_date"].to_numpy()[:, None]
    day_before = (dates - pd.Timedelta(days=1)).to_numpy()[None, :]
    return active_on(start, end, day_before)


def _by_account(subs: pd.DataFrame, mask: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum ``values`` of subscriptions where ``mask`` per (account, date); plus the active count."""
    codes, accounts = pd.factorize(subs[KEY])
    n_acc, n_dates = len(accounts), mask.shape[1]
    total = np.zeros((n_acc, n_dates))
    count = np.zeros((n_acc, n_dates))
    np.add.at(total, codes, np.where(mask, np.nan_to_num(values)[:, None], 0.0))
    np.add.at(count, codes, mask.astype(float))
    return total, count


def _active_rows(subs: pd.DataFrame, dates: pd.DatetimeIndex, horizon_days: int) -> pd.DataFrame:
    """One row per account active at each date, with tenure, ARR and the horizon label."""
    accounts = pd.factorize(subs[KEY])[1]
    arr_now, n_now = _by_account(subs, _active_matrix(subs, dates), subs["arr"].to_numpy())
    later = dates + pd.Timedelta(days=horizon_days)
    _, n_later = _by_account(subs, _active_matrix(subs, later), subs["arr"].to_numpy())
    first = subs.groupby(KEY)["start_date"].min().reindex(accounts).to_numpy()
    acc_idx, date_idx = np.nonzero(n_now > 0)
    t = dates.to_numpy()[date_idx]
    return pd.DataFrame(
        {
            KEY: np.asarray(accounts)[acc_idx],
            DATE: t,
            LABEL: n_later[acc_idx, date_idx] == 0,
            "tenure_days": (t - first[acc_idx]) / np.timedelta64(1, "D"),
            "arr": arr_now[acc_idx, date_idx],
            "active_subscriptions": n_now[acc_idx, date_idx],
        }
    )


def _add_arr_change(rows: pd.DataFrame, subs: pd.DataFrame) -> pd.DataFrame:
    """Relative ARR change over the 90 days before each date (missing for customers younger than that)."""
    dates = pd.DatetimeIndex(rows[DATE].unique()).sort_values()
    before = dates - pd.Timedelta(days=90)
    arr_then, _ = _by_account(subs, _active_matrix(subs, before), subs["arr"].to_numpy())
    accounts = pd.factorize(subs[KEY])[1]
    acc_pos = pd.Index(accounts).get_indexer(rows[KEY])
    date_pos = dates.get_indexer(rows[DATE])
    then = arr_then[acc_pos, date_pos]
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(then > 0, rows["arr"].to_numpy() / then - 1.0, np.nan)
    rows = rows.copy()
    rows["arr_change_90d"] = change
    return rows


def _usage_metrics(usage: pd.DataFrame) -> list[str]:
    return [
        c
        for c in usage.columns
        if c not in USAGE_KEYS
        and pd.api.types.is_numeric_dtype(usage[c])
        and not pd.api.types.is_bool_dtype(usage[c])
    ]


def _add_usage(rows: pd.DataFrame, usage: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Mean of each usage metric over the last 3 complete months before the date, and its trend.

    A monthly usage row counts only once its month has ended (period_start + 1 month <= date),
    so usage recorded during or after the observation month never leaks into its features.
    ``<metric>_trend`` is last-3-months mean / the 3 months before - 1.
    """
    metrics = _usage_metrics(usage)
    if not metrics:
        return rows, []
    u = usage[[KEY, "period_start", *metrics]].dropna(subset=[KEY, "period_start"])
    month = u["period_start"].dt.to_period("M")
    u = u.assign(_m=month.dt.year.to_numpy() * 12 + month.dt.month.to_numpy() - 1)
    u = u.groupby([KEY, "_m"], as_index=False)[metrics].mean()
    obs_month = rows[DATE].dt.to_period("M")
    # the last month complete by date t is always the month before t's month
    complete = obs_month.dt.year.to_numpy() * 12 + obs_month.dt.month.to_numpy() - 2
    # (account, month) as one integer: looking months up by it is far faster than merging on text keys
    accounts = pd.Index(pd.unique(u[KEY]))
    months = np.concatenate([u["_m"].to_numpy(), complete]).astype("int64")
    base = int(months.min()) - 2 * USAGE_MONTHS if len(months) else 0  # every looked-up month is above it
    span = int(months.max()) - base + 1 if len(months) else 1
    month_index = pd.Index(accounts.get_indexer(u[KEY]).astype("int64") * span + (u["_m"].to_numpy() - base))
    row_account = accounts.get_indexer(rows[KEY]).astype("int64")
    values = u[metrics].to_numpy(dtype=float)
    out = rows.copy()
    cols = []
    for lag_block, name in ((0, "level"), (USAGE_MONTHS, "prev")):
        parts = []
        for lag in range(USAGE_MONTHS):
            shift = lag_block + lag
            wanted = np.where(row_account >= 0, row_account * span + (complete - shift - base), -1)
            at = month_index.get_indexer(wanted)
            found = np.where((at >= 0)[:, None], values[np.maximum(at, 0)], np.nan)
            parts.append(pd.DataFrame(found, columns=metrics).assign(_row=np.arange(len(rows))))
        block = pd.concat(parts).groupby("_row")[metrics].mean().reindex(np.arange(len(rows)))
        for m in metrics:
            out[f"_{name}_{m}"] = block[m].to_numpy()
    for m in metrics:
        level, prev = out.pop(f"_level_{m}"), out.pop(f"_prev_{m}")
        out[f"{m}_3m"] = level
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"{m}_trend"] = np.where(prev > 0, level / prev - 1.0, np.nan)
        cols += [f"{m}_3m", f"{m}_trend"]
    return out, cols


def _add_nps(rows: pd.DataFrame, nps: pd.DataFrame) -> pd.DataFrame:
    """Last NPS score strictly before each date and the days since it (missing when none)."""
    resp = nps[[KEY, "response_date", "score"]].dropna().sort_values("response_date", kind="stable")
    # accounts as integer codes of the rows' accounts: merge_asof groups integers far faster than text
    accounts = pd.Index(pd.unique(rows[KEY]))
    resp = resp.assign(**{KEY: accounts.get_indexer(resp[KEY])})
    resp = resp[resp[KEY] >= 0]
    left = pd.DataFrame({KEY: accounts.get_indexer(rows[KEY]), DATE: rows[DATE].to_numpy()})
    left = left.assign(_row=np.arange(len(rows))).sort_values(DATE, kind="stable")
    merged = pd.merge_asof(
        left,
        resp.rename(columns={"response_date": "_resp"}),
        left_on=DATE,
        right_on="_resp",
        by=KEY,
        direction="backward",
        allow_exact_matches=False,
    ).set_index("_row")
    merged = merged.reindex(np.arange(len(rows)))
    out = rows.copy()
    out["last_nps"] = merged["score"].to_numpy(dtype=float)
    out["days_since_nps"] = ((merged[DATE] - merged["_resp"]).dt.days).to_numpy(dtype=float)
    return out


def _add_accounts(rows: pd.DataFrame, accounts: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Firmographics (region, segment, industry, country, employees), taken as undated attributes."""
    cols = [c for c in ACCOUNT_FEATURES if c in accounts.columns]
    if not cols:
        return rows, [], []
    attrs = accounts.drop_duplicates(KEY).set_index(KEY)[cols]
    out = rows.copy()
    numeric, categorical = [], []
    position = attrs.index.get_indexer(out[KEY])  # looked up once for every attribute
    for c in cols:
        values = pd.Series(pd.api.extensions.take(attrs[c].array, position, allow_fill=True), index=out.index)
        if pd.api.types.is_numeric_dtype(attrs[c]):
            out[c] = values.astype("float64")
            numeric.append(c)
        else:
            out[c] = values.astype("str").where(values.notna(), np.nan)
            categorical.append(c)
    return out, numeric, categorical
