"""Modelling tables for the churn model: one row per customer (snapshot) or per customer and date (history).

*History* mode turns subscription, usage, NPS, support-ticket and account tables into observation
rows: every ``step_days`` a customer with an active subscription is observed, its
features are computed only from data dated strictly before that date, and its
label says whether it had no active subscription ``horizon_days`` later.
*Snapshot* mode takes a ``customers`` table as it is, coercing text-in-numeric
feature values and counting what could not be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revops_nb.analysis.currency import conversion_rates, to_reporting
from revops_nb.data.coercion import as_nanoseconds, normalize_label, to_number
from revops_nb.data.subscriptions import active_on, subscription_arr
from revops_nb.errors import DataError, ParamsError

KEY = "account_id"
DATE = "observation_date"
LABEL = "churned"
USAGE_MONTHS = 3
ACCOUNT_FEATURES = ("region", "segment", "industry", "country", "employees")
USAGE_KEYS = (KEY, "period_start")
TICKET_WINDOW_DAYS = 90
CSAT_LAG_DAYS = 30  # a satisfaction score without a close date counts as known this long after the ticket
HIGH_PRIORITY_LABELS = frozenset(
    {"high", "urgent", "critical", "highest", "blocker", "p0", "p1", "p2", "sev 1", "sev 2", "severity 1",
     "severity 2"}
)  # fmt: skip


@dataclass
class ModelTable:
    """Rows to model: features, label, key, optional observation date, ARR and how values were coerced."""

    frame: pd.DataFrame
    features: list[str]
    numeric: list[str]
    categorical: list[str]
    mode: str
    current: pd.DataFrame
    coerced: dict[str, int] = field(default_factory=dict)
    as_of: pd.Timestamp | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def y(self) -> np.ndarray:
        """The churn label as 0/1 integers."""
        return self.frame[LABEL].astype(int).to_numpy()


# ---------------------------------------------------------------- snapshot


def snapshot_table(
    customers: pd.DataFrame,
    features: list[str] | None = None,
    fx_rates: pd.DataFrame | None = None,
    currency: str = "USD",
) -> ModelTable:
    """One row per customer; ``features`` default to every column but account_id and churned.

    Text in a numeric-looking column is coerced to a number; values that cannot
    be read become missing and are counted per column in ``coerced``. When the
    table has a ``currency`` column, ``arr`` is converted into ``currency`` with ``fx_rates``.
    """
    for col in (KEY, LABEL):
        if col not in customers.columns:
            raise DataError(f"customers table: required column {col!r} is missing")
    chosen = _snapshot_features(customers, features)
    extra = ["arr"] if "arr" in customers.columns and "arr" not in chosen else []
    frame = customers[[KEY, LABEL, *extra, *chosen]].copy()
    unlabeled = frame[LABEL].isna()
    if unlabeled.any():
        frame = frame[~unlabeled].copy()
    frame[LABEL] = frame[LABEL].astype(bool)
    numeric, categorical, coerced = [], [], {}
    for col in chosen:
        kind, values, n_bad = _feature_kind(frame[col])
        frame[col] = values
        (numeric if kind == "number" else categorical).append(col)
        if n_bad:
            coerced[col] = n_bad
    if unlabeled.any():
        coerced[LABEL] = int(unlabeled.sum())
    if "arr" not in frame:
        frame["arr"] = np.nan
    arr = to_number(frame["arr"]).values
    if "currency" in customers.columns:
        codes = customers.loc[frame.index, "currency"]
        arr = to_reporting(arr, codes, conversion_rates(fx_rates, currency), currency, "customers")
    frame["arr"] = arr.to_numpy(dtype=float)
    frame = frame.reset_index(drop=True)
    current = frame[~frame[LABEL]].reset_index(drop=True)
    return ModelTable(frame, chosen, numeric, categorical, "snapshot", current, coerced)


def _snapshot_features(customers: pd.DataFrame, features: list[str] | None) -> list[str]:
    if features is None:
        chosen = [c for c in customers.columns if c not in (KEY, LABEL)]
    else:
        unknown = [c for c in features if c not in customers.columns]
        if unknown:
            shown = ", ".join(map(str, customers.columns))
            raise ParamsError(
                f"parameter 'features' names {unknown[0]!r}, which is not a column of customers (it has: {shown})"
            )
        bad = [c for c in features if c in (KEY, LABEL)]
        if bad:
            raise ParamsError(f"parameter 'features' may not include {bad[0]!r} (the key or the label)")
        chosen = list(dict.fromkeys(features))
    chosen = [c for c in chosen if not pd.api.types.is_datetime64_any_dtype(customers[c])]
    if not chosen and features is None:
        raise DataError(
            "customers table has no column to model churn with besides account_id and churned "
            "(add feature columns such as tenure, ARR, usage or NPS)"
        )
    if not chosen:
        raise ParamsError("parameter 'features' leaves no feature column in customers to model churn with")
    return chosen


def _feature_kind(series: pd.Series) -> tuple[str, pd.Series, int]:
    """('number', coerced values, count unreadable) or ('category', text values, 0)."""
    if pd.api.types.is_bool_dtype(series):
        return "number", series.astype("float64"), 0
    if pd.api.types.is_numeric_dtype(series):
        return "number", series.astype("float64"), 0
    result = to_number(series)
    present = int(series.notna().sum())
    readable = int(result.values.notna().sum())
    if present and readable >= 0.5 * present:
        return "number", result.values, result.n_bad
    return "category", series.astype("str").where(series.notna(), np.nan), 0


# ---------------------------------------------------------------- history


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
    """The latest date in subscriptions and NPS responses: the 'as of' date of the data."""
    dates = []
    subs = tables["subscriptions"]
    for col in ("start_date", "end_date"):
        if col in subs:
            dates.append(subs[col].max())
    nps = tables.get("nps_responses")
    if nps is not None and "response_date" in nps:
        dates.append(nps["response_date"].max())
    valid = [d for d in dates if pd.notna(d)]
    return pd.Timestamp(max(valid)).normalize()


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
    The last date, ``as_of``, is unlabeled: those rows are the customers to score.
    """
    tables = {name: as_nanoseconds(frame) for name, frame in tables.items()}
    subs = _subscriptions(tables["subscriptions"], tables.get("fx_rates"), currency)
    end = pd.Timestamp(as_of).as_unit("ns") if as_of is not None else data_end(tables)
    dates = observation_dates(subs["start_date"].min(), end, horizon_days, step_days)
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
    labeled = rows[rows[DATE] < end].reset_index(drop=True)
    current = rows[rows[DATE] == end].drop(columns=[LABEL]).reset_index(drop=True)
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
    out["end_date"] = subs.get("end_date", pd.NaT)
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
    keys = rows[[KEY]].assign(_last=complete, _row=np.arange(len(rows)))
    out = rows.copy()
    cols = []
    for lag_block, name in ((0, "level"), (USAGE_MONTHS, "prev")):
        parts = []
        for lag in range(USAGE_MONTHS):
            shift = lag_block + lag
            k = keys.assign(_m=keys["_last"] - shift)
            parts.append(k.merge(u, on=[KEY, "_m"], how="left")[["_row", *metrics]])
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
    left = rows[[KEY, DATE]].assign(_row=np.arange(len(rows))).sort_values(DATE, kind="stable")
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


def _window_sums(
    rows: pd.DataFrame, events: pd.DataFrame, when: str, cols: list[str], days: int
) -> tuple[pd.DataFrame, pd.Series]:
    """Per row: sums of ``cols`` over events with ``when`` in [date - days, date), and the last ``when`` before date.

    Events are summed per account and time, accumulated per account, and looked up with
    ``merge_asof`` strictly before each bound (as :func:`_add_nps` does), so the window
    sum is the running total before the date minus the running total before date - days.
    """
    ev = events[[KEY, when, *cols]].dropna(subset=[KEY, when])
    ev = ev.assign(**{when: ev[when].astype("datetime64[ns]")})
    agg = ev.groupby([KEY, when], as_index=False)[cols].sum().sort_values([KEY, when], kind="stable")
    agg[cols] = agg.groupby(KEY)[cols].cumsum()
    right = agg.sort_values(when, kind="stable")
    found = {}
    for label, shift in (("now", 0), ("then", days)):
        at = rows[DATE].astype("datetime64[ns]") - pd.Timedelta(days=shift)
        left = pd.DataFrame({KEY: rows[KEY].to_numpy(), "_at": at.to_numpy(), "_row": np.arange(len(rows))})
        merged = pd.merge_asof(
            left.sort_values("_at", kind="stable"),
            right,
            left_on="_at",
            right_on=when,
            by=KEY,
            direction="backward",
            allow_exact_matches=False,
        )
        found[label] = merged.set_index("_row").reindex(np.arange(len(rows)))
    sums = found["now"][cols].fillna(0.0) - found["then"][cols].fillna(0.0)
    return sums, found["now"][when]


def is_high_priority(priority: pd.Series) -> pd.Series:
    """Whether each ticket's priority reads as high (High, Urgent, Critical, P1, Sev 1 ...)."""
    return priority.map(
        lambda v: normalize_label(v) in HIGH_PRIORITY_LABELS if pd.notna(v) else False
    ).astype(float)


def ticket_features(rows: pd.DataFrame, tickets: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Support-ticket features of each row from tickets before its date; returns rows, feature names, notes.

    ``tickets_90d`` (opened in the 90 days before the date), ``high_priority_share_90d``
    (of those, the share High/Urgent/Critical/P1...), ``days_since_ticket`` (last ticket
    opened before the date), ``resolution_hours_90d`` and ``satisfaction_90d`` (means over
    tickets *closed* in the 90 days before the date: a resolution time or CSAT score is not
    known while the ticket is open). Resolution comes from ``resolution_hours`` or from
    ``closed_date`` - ``created_date``; a satisfaction score without any close time counts
    as known ``CSAT_LAG_DAYS`` after the ticket was opened.
    """
    t = tickets.dropna(subset=[KEY, "created_date"]).copy()
    t["created_date"] = t["created_date"].astype("datetime64[ns]")
    t["_n"] = 1.0
    cols, notes = ["_n"], []
    has_priority = "priority" in t and t["priority"].notna().any()
    if has_priority:
        t["_high"] = is_high_priority(t["priority"])
        if t["_high"].sum() == 0:
            shown = ", ".join(map(repr, t["priority"].dropna().astype(str).value_counts().index[:5]))
            notes.append(
                f"support_tickets: no priority reads as high (values seen: {shown}), so the high-priority "
                "share is left out"
            )
            has_priority = False
        else:
            cols.append("_high")
    sums, last = _window_sums(rows, t, "created_date", cols, TICKET_WINDOW_DAYS)
    out = rows.copy()
    out["tickets_90d"] = sums["_n"].to_numpy()
    features = ["tickets_90d"]
    if has_priority:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["high_priority_share_90d"] = np.where(sums["_n"] > 0, sums["_high"] / sums["_n"], np.nan)
        features.append("high_priority_share_90d")
    out["days_since_ticket"] = ((rows[DATE].astype("datetime64[ns]") - last).dt.days).to_numpy(dtype=float)
    features.append("days_since_ticket")
    closed = (
        t["closed_date"].astype("datetime64[ns]")
        if "closed_date" in t
        else pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
    )
    hours = (
        t["resolution_hours"].astype(float) if "resolution_hours" in t else pd.Series(np.nan, index=t.index)
    )
    hours = hours.fillna((closed - t["created_date"]) / pd.Timedelta(hours=1))
    known = closed.fillna(t["created_date"] + pd.to_timedelta(hours, unit="h"))
    for name, values, when in (
        ("resolution_hours_90d", hours, known),
        (
            "satisfaction_90d",
            t.get("satisfaction"),
            known.fillna(t["created_date"] + pd.Timedelta(days=CSAT_LAG_DAYS)),
        ),
    ):
        if values is None or values.notna().sum() == 0:
            continue
        scored = pd.DataFrame({KEY: t[KEY], "_when": when, "_sum": values.astype(float), "_k": 1.0})
        scored = scored[scored["_sum"].notna() & scored["_when"].notna()]
        window, _ = _window_sums(rows, scored, "_when", ["_sum", "_k"], TICKET_WINDOW_DAYS)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = np.where(window["_k"] > 0, window["_sum"] / window["_k"], np.nan)
        features.append(name)
    return out, features, notes


def _add_accounts(rows: pd.DataFrame, accounts: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Firmographics (region, segment, industry, country, employees), taken as undated attributes."""
    cols = [c for c in ACCOUNT_FEATURES if c in accounts.columns]
    if not cols:
        return rows, [], []
    attrs = accounts.drop_duplicates(KEY).set_index(KEY)[cols]
    out = rows.copy()
    numeric, categorical = [], []
    for c in cols:
        values = out[KEY].map(attrs[c])
        if pd.api.types.is_numeric_dtype(attrs[c]):
            out[c] = values.astype("float64")
            numeric.append(c)
        else:
            out[c] = values.astype("str").where(values.notna(), np.nan)
            categorical.append(c)
    return out, numeric, categorical


def select_features(table: ModelTable, features: list[str] | None) -> ModelTable:
    """Keep only ``features`` (all when None); a name the table does not have is a ParamsError."""
    if features is None:
        return table
    unknown = [f for f in features if f not in table.features]
    if unknown:
        raise ParamsError(
            f"parameter 'features' names {unknown[0]!r}, which is not a {table.mode} feature "
            f"(available: {', '.join(table.features)})"
        )
    keep = list(dict.fromkeys(features))
    table.features = keep
    table.numeric = [c for c in table.numeric if c in keep]
    table.categorical = [c for c in table.categorical if c in keep]
    return table
