"""Acquisition cost and payback, when a ``marketing_spend`` table exists.

A new customer's channel is the lead source of the won deal that started it. Over the months the
spend covers (within the report window): CAC = spend / new customers, per channel and blended over
every new customer (attributed or not); its interval treats the number of new customers as Poisson
(exact Garwood limits). Payback = CAC / (average first ARR ÷ 12 × gross margin) months. LTV is a new
customer's expected discounted value under the fitted retention (all customers' sBG fit) × its first
ARR; LTV:CAC's interval redraws the retention parameters, resamples the new customers' ARR and the
count. The magic number is a period's net new ARR divided by the previous period's spend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from revops_nb.reports._currency import conversion_rates, to_reporting
from revops_nb.reports.revenue_retention import _sbg
from revops_nb.reports.revenue_retention._book import UNATTRIBUTED, Book
from revops_nb.reports.revenue_retention.settings import Settings

ALL_CHANNELS = "All channels (blended)"
CHANNEL_COLUMNS = [
    "channel",
    "spend",
    "new_customers",
    "cac",
    "cac_ci_low",
    "cac_ci_high",
    "avg_first_arr",
    "payback_months",
    "payback_ci_low",
    "payback_ci_high",
    "ltv",
    "ltv_to_cac",
    "ltv_to_cac_ci_low",
    "ltv_to_cac_ci_high",
    "flagged",
]


@dataclass
class Acquisition:
    """CAC, payback and LTV:CAC per channel and blended; CAC per period; the magic number; or why not."""

    channels: pd.DataFrame  # CHANNEL_COLUMNS, the blended row last
    by_period: pd.DataFrame  # period, channel, spend, new_customers, cac
    magic: pd.DataFrame  # period, net_new_arr, prior_spend, magic_number
    magic_ttm: float
    first_day: pd.Timestamp | None
    last_day: pd.Timestamp | None
    unmatched_channels: tuple[str, ...] = ()
    aside: str | None = None

    @classmethod
    def stepped_aside(
        cls, why: str, first_day: pd.Timestamp | None = None, last_day: pd.Timestamp | None = None
    ) -> Acquisition:
        """The section with no figure, saying ``why`` in one sentence."""
        empty = pd.DataFrame()
        return cls(empty, empty, empty, np.nan, first_day, last_day, aside=why)

    @property
    def blended(self) -> pd.Series | None:
        """The blended row (every channel and every new customer), None when the section steps aside."""
        if self.channels.empty:
            return None
        rows = self.channels[self.channels["channel"] == ALL_CHANNELS]
        return rows.iloc[0] if len(rows) else None


def acquisition(
    book: Book,
    spend: pd.DataFrame | None,
    fx_rates: pd.DataFrame | None,
    retention_fit: _sbg.SbgFit | None,
    waterfall: pd.DataFrame,
    settings: Settings,
    notes: list[str],
) -> Acquisition:
    """The CAC section; steps aside in one sentence without spend, channels or new customers."""
    if spend is None:
        return Acquisition.stepped_aside(
            "CAC, payback and LTV:CAC need a marketing_spend table (period, channel, spend) in data.yaml."
        )
    if not book.has_channels:
        return Acquisition.stepped_aside(
            "CAC by channel needs the lead source of each customer's won deal (opportunities with account_id, "
            "close_date and lead_source), and none could be matched to a subscription start."
        )
    rates = conversion_rates(fx_rates, settings.currency)
    frame = pd.DataFrame(
        {
            "period": spend["period"].dt.to_period("M").dt.start_time.astype("datetime64[ns]"),
            "channel": spend["channel"].astype("str").str.strip(),
            "spend": to_reporting(
                spend["spend"], spend.get("currency"), rates, settings.currency, "marketing_spend", notes
            ).to_numpy(float),
        }
    ).dropna(subset=["period", "spend"])
    first = max(frame["period"].min(), settings.period_start or frame["period"].min())
    last = min((frame["period"].max() + pd.offsets.MonthEnd(0)), book.as_of)
    frame = frame[(frame["period"] >= first) & (frame["period"] <= last)]
    customers = book.customers
    new = customers[(customers["first_start"] >= first) & (customers["first_start"] <= last)]
    if frame.empty or new.empty:
        return Acquisition.stepped_aside(
            (
                f"CAC needs new customers and spend in the same months, and from {first:%Y-%m-%d} to "
                f"{last:%Y-%m-%d} there are {len(new):,} new customers and {len(frame):,} spend rows."
            ),
            first,
            last,
        )
    # one spelling per channel: the customers' (lead source) where they differ only in case
    spelling = {c.casefold(): c for c in pd.unique(new["channel"])}
    frame["channel"] = frame["channel"].map(lambda c: spelling.get(c.casefold(), c))
    spent = frame.groupby("channel")["spend"].sum()
    rng = np.random.default_rng(0)
    rows = [
        _channel_row(
            ch,
            float(spent[ch]),
            new.loc[new["channel"] == ch, "first_arr"].to_numpy(float),
            retention_fit,
            settings,
            rng,
        )
        for ch in spent.index
    ]
    rows.append(
        _channel_row(
            ALL_CHANNELS, float(spent.sum()), new["first_arr"].to_numpy(float), retention_fit, settings, rng
        )
    )
    channels = pd.DataFrame(rows, columns=CHANNEL_COLUMNS)
    unmatched = tuple(sorted(set(new["channel"]) - set(spent.index) - {UNATTRIBUTED}))
    magic, magic_ttm = _magic(frame, waterfall, settings)
    return Acquisition(
        channels=channels,
        by_period=_by_period(frame, new, settings),
        magic=magic,
        magic_ttm=magic_ttm,
        first_day=first,
        last_day=last,
        unmatched_channels=unmatched,
    )


def poisson_interval(count: int, confidence: float) -> tuple[float, float]:
    """Exact (Garwood) interval of a Poisson mean from one ``count``."""
    a = 1 - confidence
    low = 0.0 if count == 0 else sps.chi2.ppf(a / 2, 2 * count) / 2
    high = sps.chi2.ppf(1 - a / 2, 2 * count + 2) / 2
    return float(low), float(high)


def new_customer_ltv(first_arr: float, fit: _sbg.SbgFit | None, settings: Settings, alpha=None, beta=None):
    """Expected discounted value of a new customer: first ARR per period × margin × (1 + DERL at 0)."""
    if fit is None:
        return np.nan
    a = fit.alpha if alpha is None else alpha
    b = fit.beta if beta is None else beta
    d = _sbg.period_discount(settings.discount_rate, settings.clv_months)
    payments = 1.0 + _sbg.discounted_residual_periods(a, b, 0, d)
    return first_arr * settings.clv_months / 12 * settings.gross_margin * payments


def _channel_row(channel, spend, arr, fit, settings: Settings, rng) -> list:
    n = len(arr)
    q = [(1 - settings.confidence) / 2, (1 + settings.confidence) / 2]
    flagged = n < settings.min_n
    if n == 0:
        return [
            channel,
            spend,
            0,
            np.nan,
            np.nan,
            np.nan,
            np.nan,
            np.nan,
            np.nan,
            np.nan,
            np.nan,
            np.nan,
            np.nan,
            np.nan,
            True,
        ]
    n_low, n_high = poisson_interval(n, settings.confidence)
    cac = spend / n
    cac_low, cac_high = spend / n_high, (spend / n_low if n_low > 0 else np.inf)
    mean_arr = float(arr.mean())
    monthly = mean_arr / 12 * settings.gross_margin
    payback = cac / monthly if monthly > 0 else np.nan
    draws = settings.bootstrap_replicates
    boot_arr = arr[rng.integers(0, n, size=(draws, n))].mean(axis=1)
    boot_n = np.maximum(rng.poisson(n, size=draws), 1)
    boot_cac = spend / boot_n
    with np.errstate(divide="ignore", invalid="ignore"):
        boot_payback = boot_cac / (boot_arr / 12 * settings.gross_margin)
    pay_low, pay_high = np.nanquantile(boot_payback, q) if monthly > 0 else (np.nan, np.nan)
    ltv = new_customer_ltv(mean_arr, fit, settings)
    ratio, r_low, r_high = np.nan, np.nan, np.nan
    if fit is not None and cac > 0:
        a, b = fit.draws(draws, rng)
        boot_ltv = new_customer_ltv(boot_arr, fit, settings, a, b)
        ratio = ltv / cac
        r_low, r_high = np.quantile(boot_ltv / boot_cac, q)
    return [
        channel,
        spend,
        n,
        cac,
        cac_low,
        cac_high,
        mean_arr,
        payback,
        float(pay_low),
        float(pay_high),
        ltv,
        ratio,
        float(r_low),
        float(r_high),
        flagged,
    ]


def _by_period(frame: pd.DataFrame, new: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    spend = frame.assign(period=frame["period"].dt.to_period(settings.freq).astype("str"))
    spend = spend.groupby(["period", "channel"], as_index=False)["spend"].sum()
    counts = new.assign(period=new["first_start"].dt.to_period(settings.freq).astype("str"))
    counts = counts.groupby(["period", "channel"]).size().rename("new_customers").reset_index()
    out = spend.merge(counts, on=["period", "channel"], how="left")
    out["new_customers"] = out["new_customers"].fillna(0).astype(int)
    out["cac"] = out["spend"] / out["new_customers"].where(out["new_customers"] > 0)
    return out.sort_values(["period", "channel"]).reset_index(drop=True)


def _magic(frame: pd.DataFrame, waterfall: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, float]:
    """Net new ARR of each complete period over the spend of the period before it, and over the last year."""
    spend = frame.groupby(frame["period"].dt.to_period(settings.freq).astype("str"))["spend"].sum()
    w = waterfall[~waterfall["partial"]].copy()
    if w.empty:
        return pd.DataFrame(columns=["period", "net_new_arr", "prior_spend", "magic_number"]), np.nan
    prior = pd.PeriodIndex(w["period"], freq=settings.freq) - 1
    w["net_new_arr"] = w["closing"] - w["opening"]
    w["prior_spend"] = spend.reindex(prior.astype("str")).to_numpy()
    w["magic_number"] = w["net_new_arr"] / w["prior_spend"].where(w["prior_spend"] > 0)
    out = w.loc[w["prior_spend"].notna(), ["period", "net_new_arr", "prior_spend", "magic_number"]]
    per_year = 12 // settings.months
    last = out.tail(per_year)
    ttm = np.nan
    if len(last) == per_year and last["prior_spend"].sum() > 0:
        ttm = float(last["net_new_arr"].sum() / last["prior_spend"].sum())
    return out.reset_index(drop=True), ttm
