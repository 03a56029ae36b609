"""The embedded sample company: a deterministic, synthetic B2B SaaS business.

Every report runs on this data when no source is configured, the benchmarks use
its ``scale`` knob, and the tests check that the analyses recover the effects
planted here. Generation is vectorized with NumPy, so 100,000 accounts take
seconds, and the same ``(scale, seed)`` always gives identical frames.

The company sells three products (Core, Analytics, Platform) in four regions
(NA, EMEA, APAC, LATAM) to three segments (SMB, Mid-Market, Enterprise), from
2023-01-01 to ``AS_OF`` (2026-09-30). Amounts are in the account's local
currency (USD, EUR, GBP, AUD, JPY, BRL); ``fx_rates`` converts them to USD.

Planted effects (sizes are what the generator puts in; a test checks each):

1. **Competitor**: deals against ``PLANTED_COMPETITOR`` ("Vantora") carry a
   -0.9 log-odds win penalty: a closed-deal win rate of about 0.15 against
   Vantora versus about 0.30 for all other closed deals (overall about 0.27).
2. **Decision makers**: each additional decision maker adds +0.35 to the
   log-odds of winning (odds ratio about 1.4 per person, 1 to 6 people).
3. **Lead source**: Partner deals +0.3 log-odds, Outbound -0.3 (vs Inbound).
4. **Sentiment predicts retention**: a latent account health drives both the
   NPS score (score = 7.2 + 1.6 x health + noise) and the churn hazard
   (monthly hazard 1.2% x exp(-0.8 x health)). Detractors (0-6) churn within
   a year of responding about 2.5-3x as often as promoters (9-10): about 0.28
   versus 0.10, passives about 0.13.
5. **Usage decline precedes churn**: a churning customer's ``active_users``
   and ``logins`` fall linearly to about 45% of their level over the
   ``USAGE_DECLINE_MONTHS`` (4) months before its end date.
6. **Regional growth**: new opportunities in ``FASTEST_GROWING_REGION``
   ("APAC") grow at a continuous 60% a year (about +80% year over year);
   the other regions at 15% (about +16% year over year).
7. **Seasonality**: Q4 months get 1.3x the opportunities of other months
   (Q4 holds about a third of a year's new deals instead of a quarter).
8. **Cycle length**: lost deals take about 1.3x as long to close as won deals;
   Enterprise cycles are about 3x SMB cycles.

9. **Support tickets before churn**: every customer files tickets (``support_tickets``)
   at a base rate per active month (0.3 SMB, 0.6 Mid-Market, 1.2 Enterprise, times
   exp(-0.3 x health)). In the ``TICKET_SURGE_DAYS`` (90) days before its end date a
   churning customer files more: 2x the base rate, 5x for the 40% of churners whose
   support went wrong. Those tickets are more often High/Urgent (about 49% instead of
   20%), take 1.6x as long to resolve as tickets of the same priority, and their
   satisfaction (1-5 CSAT, answered for about 45% of resolved tickets) is 1.4 points
   lower before rounding and clipping: a mean of about 2.5 versus 4.1.
10. **Churn reasons**: ``churn_events`` has one row per churned customer (churn_date =
   the subscription's end date) with a reason from ``CHURN_REASONS``. A churner with at
   least ``SUPPORT_HEAVY_TICKETS`` (2) High/Urgent tickets in the 90 days before churning
   gives "Poor support" 45% of the time, the others 8%; the other reasons share the
   rest as Price 30 : Missing features 25 : Moved to competitor 25 : Business closed 12.
   About half the churners are support-heavy, so "Poor support" is the most frequent
   reason overall (about 28% of churn events at the default scale).
   About 5% of events have no reason, a third carry a short feedback text, and
   "Business closed" is the ``Involuntary`` churn_type (the rest ``Voluntary``).

11. **ARR changes on each anniversary**: ``subscriptions`` has one row per yearly term
   (``TERM_DAYS``), contiguous, so a customer's life and churn date are those of its first
   row's start and last row's end. Term 1 runs at the won deal's amount; each later term at
   the previous ARR x (1 + clip(Normal(0.1 + 0.1 x health, 0.15), -0.3, 0.8)): about 70% of
   renewals expand and 30% contract, by about +10% on average (more for healthier accounts,
   which also churn less). With the heterogeneous hazard of effect 4, retention rises with
   tenure: the shape a shifted-beta-geometric model describes.
12. **Stage history** (``opportunity_stages``): every deal enters Prospecting on its created
   date and moves through Qualification, Proposal and Negotiation in order, then enters its
   closed stage on its close date. Won deals pass every open stage; a lost deal's last open
   stage is Prospecting, Qualification, Proposal or Negotiation with probabilities
   ``LOST_LAST_STAGE_P`` (0.4, 0.3, 0.2, 0.1). At a closed-deal win rate w the share reaching
   each stage is 1, w + 0.6(1 - w), w + 0.3(1 - w), w + 0.1(1 - w) (about 0.71, 0.69, 0.70
   and 0.79 stage to next at w = 0.27). The cycle is split among the stages reached
   (Dirichlet shares), so stage times scale with effect 8. An open deal walks the same path
   over its expected cycle (its fate drawn at the closed-deal win rate from the pipeline
   stream), and its ``stage`` in ``opportunities`` is the stage it occupies on ``AS_OF``: today's
   pipeline is mostly early-stage, like the pipelines at past quarter starts.
13. **Lead funnel** (``leads``): each New Business deal comes from one lead (SQL 0-14 days
   before the deal, MQL 0-30 days before that, created 0-30 days before that). Leads become
   MQLs at ``LEAD_TO_MQL`` (35%), MQLs become SQLs at ``MQL_TO_SQL`` by source (Inbound 30%,
   Outbound 45%, Partner 40%, Event 20%), SQLs become deals at ``SQL_TO_OPPORTUNITY`` (60%).
14. **Acquisition cost** (``marketing_spend``): monthly spend per channel in USD is the
   planted ``CHANNEL_CAC_USD`` (Inbound 24,000, Outbound 42,000, Partner 16,000, Event 33,000)
   x that channel's new customers (by the lead source of the deal that started them,
   smoothed over three months) x lognormal noise: spend / new customers ≈ CAC per channel.
   ``targets`` holds quarterly bookings targets in USD (2023Q1-2027Q4), ``TARGET_ABOVE_TREND``
   (10%) above the log-linear trend of won bookings with a Q4 lift.

Tickets and churn events come from their own random stream (seeded from ``seed``), and so
do the later terms' ARR, the pipeline tables and the spend, so adding each left every other
table identical to what it was for the same seed (``subscriptions`` gained its term rows; the
``customers`` snapshot, usage and tickets were drawn from the one-row-per-customer frame and did
not change). Tickets are dated in whole days; a ticket still open on ``AS_OF`` has no
resolution_hours.

The ``customers`` table is a snapshot on ``SNAPSHOT_DATE`` (2025-09-30): the customers
active that day, their features from data dated before it (ARR in USD, tenure, last
three months' active users and their change, last NPS, a support-ticket count drawn
for the snapshot itself rather than counted from ``support_tickets``), and
``churned`` = the subscription ended within the following 365 days. Because features
precede the outcome, snapshot-mode models see the same planted effects without leakage.

Realistic noise: about 10% of open deals have no amount, 3% of accounts have
no industry, 5% of opportunities no lead source, mixed currencies, and open
deals carry an expected close date in the future or none.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

AS_OF = pd.Timestamp("2026-09-30")
START = pd.Timestamp("2023-01-01")
PLANTED_COMPETITOR = "Vantora"
FASTEST_GROWING_REGION = "APAC"
USAGE_DECLINE_MONTHS = 4
SNAPSHOT_DATE = AS_OF - pd.Timedelta(days=365)  # the customers table is a snapshot taken here
SNAPSHOT_HORIZON_DAYS = 365
DEFAULT_SCALE = 2000
DEFAULT_SEED = 42
TICKET_SURGE_DAYS = 90  # churners file more, more urgent, less satisfied tickets in these days
SUPPORT_HEAVY_TICKETS = 2  # High/Urgent tickets in the 90 days before churn that make "support-heavy"
SUPPORT_STREAM = 1  # tickets and churn events use default_rng([seed, SUPPORT_STREAM])
RENEWAL_STREAM = 2  # ARR changes at the second and later anniversaries
PIPELINE_STREAM = 3  # stage history, leads and targets
SPEND_STREAM = 4  # marketing spend
TERM_DAYS = 365  # subscription terms: ARR changes on each anniversary of the start date

TABLE_NAMES = (
    "accounts",
    "opportunities",
    "nps_responses",
    "subscriptions",
    "customers",
    "usage",
    "market",
    "fx_rates",
    "support_tickets",
    "churn_events",
    "marketing_spend",
    "opportunity_stages",
    "leads",
    "targets",
)

REGIONS = np.array(["NA", "EMEA", "APAC", "LATAM"])
REGION_WEIGHTS = np.array([0.40, 0.30, 0.20, 0.10])
REGION_GROWTH = {"NA": 0.15, "EMEA": 0.15, "APAC": 0.60, "LATAM": 0.15}
COUNTRIES = {
    "NA": (["United States", "Canada"], [0.85, 0.15]),
    "EMEA": (["Germany", "France", "United Kingdom", "Netherlands"], [0.35, 0.25, 0.3, 0.1]),
    "APAC": (["Australia", "Japan", "Singapore"], [0.45, 0.35, 0.2]),
    "LATAM": (["Brazil", "Mexico"], [0.6, 0.4]),
}
CURRENCY_BY_COUNTRY = {
    "United States": "USD",
    "Canada": "USD",
    "Germany": "EUR",
    "France": "EUR",
    "Netherlands": "EUR",
    "United Kingdom": "GBP",
    "Australia": "AUD",
    "Japan": "JPY",
    "Singapore": "USD",
    "Brazil": "BRL",
    "Mexico": "USD",
}
FX_TO_USD = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "AUD": 0.66, "JPY": 0.0067, "BRL": 0.18}
SEGMENTS = np.array(["SMB", "Mid-Market", "Enterprise"])
SEGMENT_WEIGHTS = np.array([0.55, 0.30, 0.15])
SEGMENT_DEAL_USD = np.array([12_000.0, 45_000.0, 150_000.0])
SEGMENT_CYCLE_DAYS = np.array([35.0, 70.0, 110.0])
SEGMENT_EMPLOYEES = np.array([80.0, 800.0, 8000.0])
INDUSTRIES = np.array(["Software", "Financial Services", "Healthcare", "Manufacturing", "Retail"])
PRODUCTS = np.array(["Core", "Analytics", "Platform"])
LEAD_SOURCES = np.array(["Inbound", "Outbound", "Partner", "Event"])
LEAD_SOURCE_EFFECT = np.array([0.0, -0.3, 0.3, 0.0])
COMPETITORS = np.array([PLANTED_COMPETITOR, "Quellio", "Brightpath"])
COMPETITOR_EFFECT = np.array([-0.9, 0.0, 0.0])
OPEN_STAGES = np.array(["Prospecting", "Qualification", "Proposal", "Negotiation"])
TICKET_PRIORITIES = np.array(["Low", "Medium", "High", "Urgent"])
HIGH_PRIORITIES = ("High", "Urgent")
# planted acquisition cost per new customer (USD) by the lead source of its first won deal
CHANNEL_CAC_USD = {"Inbound": 24_000.0, "Outbound": 42_000.0, "Partner": 16_000.0, "Event": 33_000.0}
# where a lost deal stopped: P(last open stage reached) for Prospecting .. Negotiation
LOST_LAST_STAGE_P = np.array([0.40, 0.30, 0.20, 0.10])
CLOSED_STAGES = ("Closed Won", "Closed Lost")
LEAD_TO_MQL = 0.35  # every source
MQL_TO_SQL = {"Inbound": 0.30, "Outbound": 0.45, "Partner": 0.40, "Event": 0.20}
SQL_TO_OPPORTUNITY = 0.60
TARGET_ABOVE_TREND = 1.10  # quarterly bookings targets sit 10% above the bookings trend
TARGET_LAST_QUARTER = pd.Timestamp("2027-10-01")
PRIORITY_P = np.array([0.35, 0.45, 0.15, 0.05])
PRIORITY_P_BEFORE_CHURN = np.array([0.15, 0.35, 0.35, 0.15])
PRIORITY_HOURS = np.array([40.0, 20.0, 8.0, 3.0])
SEGMENT_TICKETS_PER_MONTH = {"SMB": 0.3, "Mid-Market": 0.6, "Enterprise": 1.2}
CHURN_REASONS = np.array(
    ["Price", "Missing features", "Poor support", "Moved to competitor", "Business closed"]
)
REASON_P = np.array([0.30, 0.25, 0.08, 0.25, 0.12])
POOR_SUPPORT_P_HEAVY = 0.45
FEEDBACK = {
    "Price": ["Budget cut for next year", "Cheaper tool covers what we need"],
    "Missing features": ["No SSO on our plan", "Needed a Salesforce sync that works both ways"],
    "Poor support": ["Tickets sat open for days", "Nobody owned our escalation"],
    "Moved to competitor": ["Consolidated on another vendor", "Switched to a bundled suite"],
    "Business closed": ["Company wound down", "Acquired and merged into the parent"],
}
NON_COMPETITIVE_LOSS = np.array(["Price", "No Decision", "Missing Feature", "Timing"])
OWNERS = np.array(
    [
        "Avery Chen",
        "Jordan Patel",
        "Morgan Rossi",
        "Riley Novak",
        "Casey Okafor",
        "Quinn Larsen",
        "Taylor Moreau",
        "Jamie Santos",
        "Drew Kowalski",
        "Reese Tanaka",
        "Skyler Haddad",
        "Rowan Fischer",
    ]
)
_NAME_A = np.array(["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay"])
_NAME_B = np.array(["Systems", "Labs", "Group", "Holdings", "Analytics", "Logistics", "Health"])


def generate(scale: int = DEFAULT_SCALE, seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Return every canonical table of the sample company as fresh DataFrames.

    ``scale`` is the number of accounts; everything else grows with it.
    The result is cached per ``(scale, seed)`` and copied, so callers may mutate it.
    """
    if scale < 50:
        raise ValueError(f"sample scale must be at least 50 accounts, got {scale}")
    return {name: df.copy() for name, df in _generate_cached(int(scale), int(seed)).items()}


def table(name: str, scale: int = DEFAULT_SCALE, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Return one sample table by canonical name."""
    if name not in TABLE_NAMES:
        raise KeyError(f"the sample has no table {name!r}; it has {', '.join(TABLE_NAMES)}")
    return _generate_cached(int(scale), int(seed))[name].copy()


@lru_cache(maxsize=4)
def _generate_cached(scale: int, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    accounts, health = _accounts(rng, scale)
    opps = _opportunities(rng, accounts)
    accounts = _fix_account_created(accounts, opps)
    subs, sub_health, start, end, first_arr = _subscriptions(rng, accounts, opps, health)
    nps = _nps(rng, subs, start, end, sub_health)
    usage = _usage(rng, subs, start, end, sub_health)
    customers = _customers(rng, accounts, subs, usage, nps, sub_health)
    market = _market(rng, accounts)
    fx = pd.DataFrame({"currency": list(FX_TO_USD), "rate_to_reporting": list(FX_TO_USD.values())})
    support_rng = np.random.default_rng([seed, SUPPORT_STREAM])  # its own stream: other tables unchanged
    tickets = _support_tickets(support_rng, accounts, subs, start, end, sub_health)
    churn_events = _churn_events(support_rng, subs, tickets)
    # the one-row-per-customer frame above drives every other table; the export has a row per term
    terms = _subscription_terms(np.random.default_rng([seed, RENEWAL_STREAM]), subs, sub_health, first_arr)
    pipeline_rng = np.random.default_rng([seed, PIPELINE_STREAM])
    stages, stage_today = _opportunity_stages(pipeline_rng, opps)
    opps["stage"] = pd.array(stage_today, dtype="str")  # open deals: the stage their history reached
    leads = _leads(pipeline_rng, opps)
    targets = _targets(opps, fx)
    spend = _marketing_spend(np.random.default_rng([seed, SPEND_STREAM]), opps, subs)
    tables = {
        "accounts": accounts,
        "opportunities": opps,
        "nps_responses": nps,
        "subscriptions": terms,
        "customers": customers,
        "usage": usage,
        "market": market,
        "fx_rates": fx,
        "support_tickets": tickets,
        "churn_events": churn_events,
        "marketing_spend": spend,
        "opportunity_stages": stages,
        "leads": leads,
        "targets": targets,
    }
    for df in tables.values():
        for col in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[col]):
                df[col] = df[col].astype("datetime64[ns]")
    return tables


def _ids(prefix: str, n: int) -> np.ndarray:
    width = max(6, len(str(n)))
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width))


def _choice_per_group(rng: np.random.Generator, groups: np.ndarray, table: dict) -> np.ndarray:
    """Draw one option per row from a per-group (options, weights) table."""
    out = np.empty(len(groups), dtype=object)
    for key, (options, weights) in table.items():
        mask = groups == key
        out[mask] = rng.choice(np.array(options, dtype=object), size=mask.sum(), p=weights)
    return out


def _accounts(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    region = rng.choice(REGIONS, size=n, p=REGION_WEIGHTS)
    segment_idx = rng.choice(len(SEGMENTS), size=n, p=SEGMENT_WEIGHTS)
    country = _choice_per_group(rng, region, COUNTRIES)
    industry = rng.choice(INDUSTRIES, size=n).astype(object)
    industry[rng.random(n) < 0.03] = None
    employees = np.round(SEGMENT_EMPLOYEES[segment_idx] * rng.lognormal(0, 0.5, n)).astype(int)
    names = np.char.add(
        np.char.add(rng.choice(_NAME_A, n), " "),
        np.char.add(rng.choice(_NAME_B, n), np.char.add(" ", np.arange(1, n + 1).astype(str))),
    )
    health = rng.normal(0.0, 1.0, n)
    accounts = pd.DataFrame(
        {
            "account_id": _ids("A", n),
            "account_name": names,
            "region": region,
            "country": country,
            "segment": SEGMENTS[segment_idx],
            "industry": pd.array(industry, dtype="str"),
            "employees": employees,
            "created_date": pd.NaT,
        }
    )
    return accounts, health


def _growth_dates(rng: np.random.Generator, growth: np.ndarray) -> np.ndarray:
    """Days since START with density growing like exp(g t) and a Q4 bump (rejection)."""
    total_days = (AS_OF - START).days
    years = total_days / 365.25
    n = len(growth)
    out = np.empty(n)
    pending = np.arange(n)
    while len(pending):
        g = growth[pending]
        u = rng.random(len(pending))
        t_years = np.log1p(u * np.expm1(g * years)) / g
        days = np.floor(t_years * 365.25)
        month = (START + pd.to_timedelta(days, unit="D")).month.to_numpy()
        keep_p = np.where(month >= 10, 1.0, 1.0 / 1.3)
        accept = rng.random(len(pending)) < keep_p
        out[pending[accept]] = days[accept]
        pending = pending[~accept]
    return out


def _opportunities(rng: np.random.Generator, accounts: pd.DataFrame) -> pd.DataFrame:
    n_acc = len(accounts)
    per_account = rng.poisson(4.0, n_acc)
    acc_idx = np.repeat(np.arange(n_acc), per_account)
    n = len(acc_idx)
    region = accounts["region"].to_numpy()[acc_idx]
    seg_names = accounts["segment"].to_numpy()[acc_idx]
    seg_idx = pd.Index(SEGMENTS).get_indexer(seg_names)
    growth = np.vectorize(REGION_GROWTH.get)(region).astype(float)
    created = START + pd.to_timedelta(_growth_dates(rng, growth), unit="D")

    dm = np.clip(rng.poisson(1.6, n) + 1, 1, 6)
    has_comp = rng.random(n) < 0.6
    comp_idx = rng.choice(len(COMPETITORS), size=n, p=[0.35, 0.35, 0.30])
    source_idx = rng.choice(len(LEAD_SOURCES), size=n, p=[0.4, 0.3, 0.15, 0.15])
    logit = (
        -1.1
        + 0.35 * (dm - 2)
        + np.where(has_comp, COMPETITOR_EFFECT[comp_idx], 0.0)
        + LEAD_SOURCE_EFFECT[source_idx]
        + np.array([0.1, 0.0, -0.2])[seg_idx]
    )
    won = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    cycle = SEGMENT_CYCLE_DAYS[seg_idx] * rng.lognormal(0, 0.45, n) * np.where(won, 1.0, 1.3)
    close = created + pd.to_timedelta(np.round(cycle), unit="D")
    closed = close <= AS_OF

    currency = np.vectorize(CURRENCY_BY_COUNTRY.get)(accounts["country"].to_numpy()[acc_idx])
    rate = np.vectorize(FX_TO_USD.get)(currency).astype(float)
    usd = SEGMENT_DEAL_USD[seg_idx] * rng.lognormal(0, 0.6, n) * (1 + 0.12 * (dm - 2))
    amount = np.round(usd / rate)
    open_mask = ~closed
    amount = np.where(open_mask & (rng.random(n) < 0.10), np.nan, amount)

    stage = np.where(won, "Closed Won", "Closed Lost").astype(object)
    stage[open_mask] = rng.choice(OPEN_STAGES, size=open_mask.sum())
    is_won = closed & won
    lost = closed & ~won
    lost_to_comp = lost & has_comp & (rng.random(n) < 0.55)
    loss_reason = np.full(n, None, dtype=object)
    loss_reason[lost] = rng.choice(NON_COMPETITIVE_LOSS, size=lost.sum(), p=[0.3, 0.35, 0.2, 0.15])
    loss_reason[lost_to_comp] = "Lost to Competitor"
    competitor = np.where(has_comp, COMPETITORS[comp_idx], None).astype(object)
    lead_source = LEAD_SOURCES[source_idx].astype(object)
    lead_source[rng.random(n) < 0.05] = None
    close_out = pd.Series(close)
    no_expected_close = open_mask & (rng.random(n) < 0.2)
    close_out[no_expected_close] = pd.NaT

    order = np.lexsort((created.to_numpy(), acc_idx))
    first_of_account = np.ones(n, dtype=bool)
    first_of_account[1:] = acc_idx[order][1:] != acc_idx[order][:-1]
    opp_type = np.empty(n, dtype=object)
    opp_type[order] = np.where(first_of_account, "New Business", "Expansion")

    opps = pd.DataFrame(
        {
            "opportunity_id": _ids("O", n),
            "account_id": accounts["account_id"].to_numpy()[acc_idx],
            "owner": rng.choice(OWNERS, size=n),
            "product": rng.choice(PRODUCTS, size=n, p=[0.5, 0.3, 0.2]),
            "stage": pd.array(stage, dtype="str"),
            "amount": amount,
            "currency": currency,
            "created_date": created.to_numpy(),
            "close_date": close_out.to_numpy(),
            "is_closed": np.asarray(closed),
            "is_won": np.asarray(is_won),
            "loss_reason": pd.array(loss_reason, dtype="str"),
            "competitor": pd.array(competitor, dtype="str"),
            "lead_source": pd.array(lead_source, dtype="str"),
            "decision_makers": dm,
            "opportunity_type": pd.array(opp_type, dtype="str"),
            "region": region,
            "segment": seg_names,
        }
    )
    return opps.sort_values(["created_date", "opportunity_id"], kind="stable").reset_index(drop=True)


def _fix_account_created(accounts: pd.DataFrame, opps: pd.DataFrame) -> pd.DataFrame:
    first = opps.groupby("account_id")["created_date"].min()
    created = accounts["account_id"].map(first)
    created = created.fillna(AS_OF - pd.Timedelta(days=30))
    offset = pd.to_timedelta((np.arange(len(accounts)) * 7919) % 180, unit="D")
    accounts = accounts.copy()
    accounts["created_date"] = (created - offset).to_numpy()
    return accounts


def _subscriptions(
    rng: np.random.Generator,
    accounts: pd.DataFrame,
    opps: pd.DataFrame,
    health: np.ndarray,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One subscription per customer with its ARR after the first anniversary; returns it with each
    row's health, start, end (or AS_OF) and first-term ARR (the won deal's amount)."""
    won = opps[opps["is_won"]]
    first = won.sort_values("close_date", kind="stable").drop_duplicates("account_id")
    acc_pos = pd.Index(accounts["account_id"]).get_indexer(first["account_id"])
    h = health[acc_pos]
    start = first["close_date"].to_numpy().astype("datetime64[D]")
    monthly_hazard = 0.012 * np.exp(-0.8 * h)
    months_to_churn = rng.exponential(1.0 / monthly_hazard)
    end = start + np.round(months_to_churn * 30.44).astype("timedelta64[D]")
    churned = end <= np.datetime64(AS_OF.date(), "D")
    end_out = np.where(churned, end, np.datetime64("NaT"))
    expansion = 1.0 + np.clip(rng.normal(0.1 + 0.1 * h, 0.15), -0.3, 0.8)
    subs = pd.DataFrame(
        {
            "subscription_id": _ids("S", len(first)),
            "account_id": first["account_id"].to_numpy(),
            "start_date": pd.to_datetime(start),
            "end_date": pd.to_datetime(end_out),
            "arr": np.round(first["amount"].to_numpy() * expansion, 0),
            "product": first["product"].to_numpy(),
            "currency": first["currency"].to_numpy(),
        }
    )
    first_arr = np.round(first["amount"].to_numpy(), 0)
    return subs, h, start, np.where(churned, end, np.datetime64(AS_OF.date(), "D")), first_arr


def _nps(rng, subs: pd.DataFrame, start: np.ndarray, end: np.ndarray, h: np.ndarray) -> pd.DataFrame:
    active_days = (end - start).astype(int)
    per = rng.poisson(np.clip(active_days / 365.0, 0.2, None) * 1.2)
    idx = np.repeat(np.arange(len(subs)), per)
    offs = np.floor(rng.random(len(idx)) * np.maximum(active_days[idx], 1)).astype(int)
    date = start[idx] + offs.astype("timedelta64[D]")
    score = np.clip(np.round(7.2 + 1.6 * h[idx] + rng.normal(0, 1.3, len(idx))), 0, 10).astype(int)
    nps = pd.DataFrame(
        {
            "response_id": _ids("R", len(idx)),
            "account_id": subs["account_id"].to_numpy()[idx],
            "response_date": pd.to_datetime(date),
            "score": score,
        }
    )
    return nps.sort_values(["response_date", "response_id"], kind="stable").reset_index(drop=True)


def _usage(rng, subs: pd.DataFrame, start: np.ndarray, end: np.ndarray, h: np.ndarray) -> pd.DataFrame:
    start_m = start.astype("datetime64[M]")
    end_m = end.astype("datetime64[M]")
    months = (end_m - start_m).astype(int) + 1
    idx = np.repeat(np.arange(len(subs)), months)
    within = np.arange(len(idx)) - np.repeat(np.cumsum(months) - months, months)
    period = start_m[idx] + within.astype("timedelta64[M]")
    churned = subs["end_date"].notna().to_numpy()
    months_before_end = (end_m[idx] - period).astype(int)
    decline = np.where(
        churned[idx] & (months_before_end < USAGE_DECLINE_MONTHS),
        1.0 - 0.55 * (USAGE_DECLINE_MONTHS - months_before_end) / USAGE_DECLINE_MONTHS,
        1.0,
    )
    seats = np.maximum(3.0, subs["arr"].to_numpy() / 1500.0 * np.exp(0.2 * h))
    users = seats[idx] * decline * rng.lognormal(0, 0.08, len(idx))
    logins = users * 14 * rng.lognormal(0, 0.15, len(idx))
    return pd.DataFrame(
        {
            "account_id": subs["account_id"].to_numpy()[idx],
            "period_start": pd.to_datetime(period.astype("datetime64[D]")),
            "active_users": np.round(users).astype(int),
            "logins": np.round(logins).astype(int),
        }
    )


def _customers(rng, accounts, subs, usage, nps, h: np.ndarray) -> pd.DataFrame:
    """A CRM-style snapshot taken at ``SNAPSHOT_DATE``: features from before it, churn in the year after.

    Rows are the customers active on the snapshot date; ``churned`` says whether the
    subscription ended within ``SNAPSHOT_HORIZON_DAYS`` after it. Nothing dated after the
    snapshot enters a feature, so a model trained on this table is not flattered by leakage.
    """
    active = (subs["start_date"] <= SNAPSHOT_DATE) & (
        subs["end_date"].isna() | (subs["end_date"] > SNAPSHOT_DATE)
    )
    snap = subs[active.to_numpy()]
    h_snap = h[active.to_numpy()]
    ids = snap["account_id"]
    acc = accounts.set_index("account_id")
    tenure = ((SNAPSHOT_DATE - snap["start_date"]).dt.days / 30.44).round(1)
    # a month of usage counts once it has ended before the snapshot date
    seen = usage[usage["period_start"] + pd.DateOffset(months=1) <= SNAPSHOT_DATE]
    seen = seen.sort_values(["account_id", "period_start"], kind="stable")
    last3 = _tail_mean(seen, 3, 0)
    prev3 = _tail_mean(seen, 3, 3)
    change = (last3 / prev3.reindex(last3.index) - 1.0).round(3)
    before = nps[nps["response_date"] < SNAPSHOT_DATE].sort_values("response_date", kind="stable")
    last_nps = before.groupby("account_id")["score"].last()
    rate = np.vectorize(FX_TO_USD.get)(snap["currency"].to_numpy()).astype(float)
    tickets = rng.poisson(2.0 * np.exp(-0.4 * h_snap) * np.maximum(tenure.to_numpy(), 1) / 12)
    horizon_end = SNAPSHOT_DATE + pd.Timedelta(days=SNAPSHOT_HORIZON_DAYS)
    churned = snap["end_date"].notna() & (snap["end_date"] <= horizon_end)
    return pd.DataFrame(
        {
            "account_id": ids.to_numpy(),
            "churned": churned.to_numpy(),
            "arr": np.round(snap["arr"].to_numpy() * rate, 0),
            "region": acc.loc[ids, "region"].to_numpy(),
            "segment": acc.loc[ids, "segment"].to_numpy(),
            "industry": acc.loc[ids, "industry"].to_numpy(),
            "employees": acc.loc[ids, "employees"].to_numpy(),
            "tenure_months": tenure.to_numpy(),
            "active_users": ids.map(last3).round(1).to_numpy(),
            "usage_change_3m": ids.map(change).to_numpy(),
            "last_nps": ids.map(last_nps).to_numpy(),
            "support_tickets": tickets,
        }
    )


def _tail_mean(usage_sorted: pd.DataFrame, k: int, skip: int) -> pd.Series:
    """Mean active users over the ``k`` months that end ``skip`` months before each last month."""
    pos_from_end = usage_sorted.groupby("account_id").cumcount(ascending=False)
    window = usage_sorted[(pos_from_end >= skip) & (pos_from_end < skip + k)]
    return window.groupby("account_id")["active_users"].mean()


def _support_tickets(
    rng: np.random.Generator,
    accounts: pd.DataFrame,
    subs: pd.DataFrame,
    start: np.ndarray,
    end: np.ndarray,
    h: np.ndarray,
) -> pd.DataFrame:
    """Tickets over each subscription's life, with the surge before churn (planted effect 9)."""
    churned = subs["end_date"].notna().to_numpy()
    segment = subs["account_id"].map(accounts.set_index("account_id")["segment"]).to_numpy()
    per_month = np.vectorize(SEGMENT_TICKETS_PER_MONTH.get)(segment).astype(float) * np.exp(-0.3 * h)
    active_days = np.maximum((end - start).astype(int), 1)
    window = np.where(churned, np.minimum(TICKET_SURGE_DAYS, active_days), 0)
    troubled = rng.random(len(subs)) < 0.4
    base = rng.poisson(per_month * active_days / 30.44)
    extra = rng.poisson(per_month * np.where(troubled, 4.0, 1.0) * window / 30.44)
    idx = np.r_[np.repeat(np.arange(len(subs)), base), np.repeat(np.arange(len(subs)), extra)]
    n_base = int(base.sum())
    span = np.r_[active_days[idx[:n_base]], window[idx[n_base:]]]
    first = np.r_[start[idx[:n_base]], end[idx[n_base:]] - window[idx[n_base:]].astype("timedelta64[D]")]
    date = first + np.floor(rng.random(len(idx)) * span).astype("timedelta64[D]")
    before_churn = churned[idx] & (date >= end[idx] - np.timedelta64(TICKET_SURGE_DAYS, "D"))
    cum = np.where(before_churn[:, None], np.cumsum(PRIORITY_P_BEFORE_CHURN), np.cumsum(PRIORITY_P))
    priority = np.minimum((rng.random(len(idx))[:, None] > cum).sum(axis=1), len(TICKET_PRIORITIES) - 1)
    hours = PRIORITY_HOURS[priority] * rng.lognormal(0, 0.6, len(idx)) * np.where(before_churn, 1.6, 1.0)
    hours = np.round(hours, 1)
    resolved = date + np.ceil(hours / 24).astype("timedelta64[D]") <= np.datetime64(AS_OF.date(), "D")
    csat = 4.2 + 0.3 * h[idx] - 1.4 * before_churn + rng.normal(0, 0.8, len(idx))
    answered = resolved & (rng.random(len(idx)) < 0.45)
    tickets = pd.DataFrame(
        {
            "account_id": subs["account_id"].to_numpy()[idx],
            "created_date": pd.to_datetime(date),
            "priority": TICKET_PRIORITIES[priority],
            "resolution_hours": np.where(resolved, hours, np.nan),
            "satisfaction": pd.array(
                np.where(answered, np.clip(np.round(csat), 1, 5), np.nan), dtype="Int64"
            ),
        }
    )
    tickets = tickets.sort_values(["created_date", "account_id"], kind="stable").reset_index(drop=True)
    tickets.insert(0, "ticket_id", _ids("T", len(tickets)))
    return tickets


def _churn_events(rng: np.random.Generator, subs: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    """One event per churned subscription; support-heavy churners say "Poor support" more (effect 10)."""
    churned = subs[subs["end_date"].notna()]
    end = churned.set_index("account_id")["end_date"]
    t = tickets[tickets["priority"].isin(HIGH_PRIORITIES) & tickets["account_id"].isin(end.index)]
    days_before = (t["account_id"].map(end) - t["created_date"]).dt.days
    high = t[days_before <= TICKET_SURGE_DAYS].groupby("account_id").size()
    heavy = churned["account_id"].map(high).fillna(0).to_numpy() >= SUPPORT_HEAVY_TICKETS
    poor = list(CHURN_REASONS).index("Poor support")
    p_heavy = REASON_P * (1 - POOR_SUPPORT_P_HEAVY) / (1 - REASON_P[poor])
    p_heavy[poor] = POOR_SUPPORT_P_HEAVY
    cum = np.where(heavy[:, None], np.cumsum(p_heavy), np.cumsum(REASON_P))
    n = len(churned)
    pick = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), len(CHURN_REASONS) - 1)
    reason = CHURN_REASONS[pick].astype(object)
    choice = rng.integers(0, 2, n)
    feedback = np.array([FEEDBACK[r][c] for r, c in zip(reason, choice, strict=True)], dtype=object)
    feedback[rng.random(n) >= 1 / 3] = None
    reason[rng.random(n) < 0.05] = None
    churn_type = np.where(reason == "Business closed", "Involuntary", "Voluntary")
    events = pd.DataFrame(
        {
            "account_id": churned["account_id"].to_numpy(),
            "churn_date": churned["end_date"].to_numpy(),
            "reason": pd.array(reason, dtype="str"),
            "churn_type": churn_type,
            "feedback": pd.array(feedback, dtype="str"),
        }
    )
    return events.sort_values(["churn_date", "account_id"], kind="stable").reset_index(drop=True)


def _market(rng, accounts: pd.DataFrame) -> pd.DataFrame:
    counts = accounts.groupby(["region", "segment"]).size().rename("n").reset_index()
    multiplier = rng.uniform(6.0, 20.0, len(counts))
    seg_usd = dict(zip(SEGMENTS, SEGMENT_DEAL_USD, strict=True))
    addressable_accounts = np.round(counts["n"] * multiplier).astype(int)
    arr = addressable_accounts * counts["segment"].map(seg_usd) * 1.2
    return pd.DataFrame(
        {
            "region": counts["region"],
            "segment": counts["segment"],
            "addressable_accounts": addressable_accounts,
            "addressable_arr": np.round(arr, -3),
        }
    )


def _subscription_terms(
    rng: np.random.Generator, subs: pd.DataFrame, h: np.ndarray, first_arr: np.ndarray
) -> pd.DataFrame:
    """The subscriptions export: one row per yearly term, ARR changing on each anniversary (effect 11).

    Term 1 runs at the won deal's amount, term 2 at ``subs.arr`` (amount x the expansion
    factor drawn with the customer), each later term at the previous ARR x a fresh factor of
    the same law. Terms are contiguous, so the customer's life and churn date are unchanged.
    """
    start = subs["start_date"].to_numpy().astype("datetime64[D]")
    end = subs["end_date"].to_numpy().astype("datetime64[D]")
    running = np.isnat(end)
    horizon = np.where(running, np.datetime64(AS_OF.date(), "D") + 1, end)
    max_terms = (
        int(
            np.ceil(
                (np.datetime64(AS_OF.date(), "D") - START.to_datetime64().astype("datetime64[D]")).astype(int)
                / TERM_DAYS
            )
        )
        + 1
    )
    k = np.arange(max_terms)
    term_start = start[:, None] + (k * TERM_DAYS).astype("timedelta64[D]")[None, :]
    exists = term_start < horizon[:, None]
    exists[:, 0] = True  # a subscription that ended on the day it started keeps its one row
    factors = 1.0 + np.clip(rng.normal(0.1 + 0.1 * h[:, None], 0.15, (len(subs), max_terms)), -0.3, 0.8)
    arr = np.empty((len(subs), max_terms))
    arr[:, 0] = first_arr
    arr[:, 1] = subs["arr"].to_numpy()
    for term in range(2, max_terms):
        arr[:, term] = np.round(arr[:, term - 1] * factors[:, term], 0)
    row, term = np.nonzero(exists)
    last = exists.sum(axis=1) - 1
    term_end = term_start[row, term] + np.timedelta64(TERM_DAYS, "D")
    is_last = term == last[row]
    end_out = np.where(is_last, end[row], term_end)
    base_id = subs["subscription_id"].to_numpy()[row]
    ids = np.where(term == 0, base_id, np.char.add(np.char.add(base_id.astype(str), "-R"), term.astype(str)))
    return pd.DataFrame(
        {
            "subscription_id": ids,
            "account_id": subs["account_id"].to_numpy()[row],
            "start_date": pd.to_datetime(term_start[row, term]),
            "end_date": pd.to_datetime(end_out),
            "arr": arr[row, term],
            "product": subs["product"].to_numpy()[row],
            "currency": subs["currency"].to_numpy()[row],
        }
    )


def _opportunity_stages(rng: np.random.Generator, opps: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Stage history (effect 12), and the stage each open deal is in on ``AS_OF``.

    Every deal walks the same path: won deals pass every open stage, a lost deal stops
    after the stage drawn from ``LOST_LAST_STAGE_P``, and the cycle (created to close) is
    split among the stages reached. An open deal's fate is drawn the same way (won at the
    closed-deal win rate) over its expected cycle (its close date, else an elapsed share
    drawn uniformly), and its current stage is the one it occupies on ``AS_OF``, so today's
    pipeline is made like the pipelines of the past.
    """
    n = len(opps)
    n_open = len(OPEN_STAGES)
    closed = opps["is_closed"].to_numpy()
    won = opps["is_won"].to_numpy()
    win_rate = won[closed].mean() if closed.any() else 0.3
    lost_last = rng.choice(n_open, size=n, p=LOST_LAST_STAGE_P) + 1
    will_win = rng.random(n) < win_rate
    reached = np.where(won | (~closed & will_win), n_open, lost_last)
    created = opps["created_date"].to_numpy().astype("datetime64[D]")
    close = opps["close_date"].to_numpy().astype("datetime64[D]")
    as_of = np.datetime64(AS_OF.date(), "D")
    elapsed = np.maximum((as_of - created).astype(int), 0)
    expected = np.where(np.isnat(close), -1, (close - created).astype("timedelta64[D]").astype(int))
    guessed = np.ceil(elapsed / rng.uniform(0.05, 0.95, n)).astype(int)
    span = np.where(
        closed, (close - created).astype(int), np.where(expected > elapsed, expected, guessed + 1)
    )
    span = np.maximum(span, 0)
    share = rng.gamma(2.0, 1.0, (n, n_open)) * (np.arange(n_open)[None, :] < reached[:, None])
    share = share / share.sum(axis=1, keepdims=True)
    before = np.cumsum(share, axis=1) - share  # share of the cycle spent before entering each stage
    offset = np.floor(before * span[:, None]).astype(int)
    on_path = np.arange(n_open)[None, :] < reached[:, None]
    entered_by_now = on_path & (offset <= elapsed[:, None])
    current = entered_by_now.sum(axis=1) - 1  # open deals: the last stage entered by AS_OF
    keep = np.where(closed[:, None], on_path, entered_by_now)
    row, step = np.nonzero(keep)
    entered = created[row] + offset[row, step].astype("timedelta64[D]")
    closed_rows = np.flatnonzero(closed)
    frame = pd.DataFrame(
        {
            "opportunity_id": np.r_[
                opps["opportunity_id"].to_numpy()[row], opps["opportunity_id"].to_numpy()[closed_rows]
            ],
            "stage": np.r_[OPEN_STAGES[step], np.where(won[closed_rows], *CLOSED_STAGES)],
            "entered_date": pd.to_datetime(np.r_[entered, close[closed_rows]]),
            "_order": np.r_[row * (n_open + 1) + step, closed_rows * (n_open + 1) + n_open],
        }
    )
    frame = frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    frame["stage"] = frame["stage"].astype("str")
    open_stage = np.where(closed, opps["stage"].to_numpy(dtype=object), OPEN_STAGES[np.maximum(current, 0)])
    return frame, open_stage


def _leads(rng: np.random.Generator, opps: pd.DataFrame) -> pd.DataFrame:
    """Leads behind the New Business deals, with the planted funnel rates (effect 13).

    Each New Business deal comes from one lead. Every sales-qualified lead (SQL) has
    NegBin(1, SQL_TO_OPPORTUNITY) siblings that never became a deal, every MQL
    NegBin(1, MQL_TO_SQL[source]) siblings that never became an SQL and every MQL
    NegBin(1, LEAD_TO_MQL) sibling leads that never qualified, so each rate holds in expectation.
    """
    nb = opps[opps["opportunity_type"] == "New Business"]
    as_of = np.datetime64(AS_OF.date(), "D")

    def days(size: int, low: int, high: int) -> np.ndarray:
        return rng.integers(low, high + 1, size).astype("timedelta64[D]")

    source = nb["lead_source"].to_numpy(dtype=object)
    sql = nb["created_date"].to_numpy().astype("datetime64[D]") - days(len(nb), 0, 14)
    opportunity = nb["opportunity_id"].to_numpy(dtype=object)
    # SQLs that did not become a deal, dated near a sibling that did
    extra = rng.negative_binomial(1, SQL_TO_OPPORTUNITY, len(nb))
    anchor = np.repeat(np.arange(len(nb)), extra)
    sql = np.r_[sql, np.minimum(sql[anchor] + days(len(anchor), -45, 45), as_of)]
    opportunity = np.r_[opportunity, np.full(len(anchor), None, dtype=object)]
    source = np.r_[source, source[anchor]]
    mql = sql - days(len(sql), 0, 30)
    # MQLs that did not become an SQL
    rate = np.array([MQL_TO_SQL.get(s, MQL_TO_SQL["Inbound"]) for s in source])
    extra = rng.negative_binomial(1, rate)
    anchor = np.repeat(np.arange(len(sql)), extra)
    mql = np.r_[mql, np.minimum(mql[anchor] + days(len(anchor), -45, 45), as_of)]
    sql = np.r_[sql, np.full(len(anchor), np.datetime64("NaT"), dtype="datetime64[D]")]
    opportunity = np.r_[opportunity, np.full(len(anchor), None, dtype=object)]
    source = np.r_[source, source[anchor]]
    created = mql - days(len(mql), 0, 30)
    # leads that never became an MQL
    extra = rng.negative_binomial(1, LEAD_TO_MQL, len(mql))
    anchor = np.repeat(np.arange(len(mql)), extra)
    created = np.r_[created, np.minimum(created[anchor] + days(len(anchor), -45, 45), as_of)]
    nat = np.full(len(anchor), np.datetime64("NaT"), dtype="datetime64[D]")
    mql, sql = np.r_[mql, nat], np.r_[sql, nat]
    opportunity = np.r_[opportunity, np.full(len(anchor), None, dtype=object)]
    source = np.r_[source, source[anchor]]
    leads = pd.DataFrame(
        {
            "created_date": pd.to_datetime(created),
            "source": pd.array(source, dtype="str"),
            "mql_date": pd.to_datetime(mql),
            "sql_date": pd.to_datetime(sql),
            "opportunity_id": pd.array(opportunity, dtype="str"),
        }
    )
    leads = leads.sort_values(["created_date", "opportunity_id"], kind="stable").reset_index(drop=True)
    leads.insert(0, "lead_id", _ids("L", len(leads)))
    return leads


def _targets(opps: pd.DataFrame, fx: pd.DataFrame) -> pd.DataFrame:
    """Quarterly bookings targets in USD: 10% above the log-linear bookings trend with a Q4 lift."""
    won = opps[opps["is_won"]]
    rate = won["currency"].map(fx.set_index("currency")["rate_to_reporting"])
    quarter = won["close_date"].dt.to_period("Q")
    booked = (won["amount"] * rate).groupby(quarter).sum()
    booked = booked[booked > 0]
    quarters = pd.period_range(START, TARGET_LAST_QUARTER, freq="Q")

    def design(q: pd.PeriodIndex) -> np.ndarray:
        t = (q - quarters[0]).map(lambda d: d.n).to_numpy(dtype=float)
        return np.column_stack([np.ones(len(q)), t, (q.quarter == 4).astype(float)])

    if len(booked) >= 4:
        coef, *_ = np.linalg.lstsq(design(booked.index), np.log(booked.to_numpy()), rcond=None)
        trend = np.exp(design(quarters) @ coef)
    else:
        trend = np.full(len(quarters), booked.mean() if len(booked) else 0.0)
    return pd.DataFrame(
        {
            "period": quarters.start_time.as_unit("ns"),
            "target": np.round(trend * TARGET_ABOVE_TREND, -4),
        }
    )


def _marketing_spend(rng: np.random.Generator, opps: pd.DataFrame, subs: pd.DataFrame) -> pd.DataFrame:
    """Monthly spend per channel in USD: the planted CAC x that channel's new customers (effect 14).

    A customer's channel is the lead source of the won deal that started it; the month's
    count is smoothed over three months (spend leads and trails the wins it buys) and
    multiplied by lognormal noise, so spend over the whole window / new customers ≈ CAC.
    """
    won = opps[opps["is_won"]].sort_values("close_date", kind="stable").drop_duplicates("account_id")
    channel = subs["account_id"].map(won.set_index("account_id")["lead_source"])
    month = subs["start_date"].dt.to_period("M")
    months = pd.period_range(START, AS_OF, freq="M")
    channels = list(CHANNEL_CAC_USD)
    counts = pd.crosstab(month, channel).reindex(index=months, columns=channels, fill_value=0)
    smoothed = counts.rolling(3, center=True, min_periods=1).mean()
    cac = np.array([CHANNEL_CAC_USD[c] for c in channels])
    spend = smoothed.to_numpy() * cac[None, :] * rng.lognormal(0.0, 0.1, smoothed.shape)
    return pd.DataFrame(
        {
            "period": np.repeat(months.start_time.as_unit("ns").to_numpy(), len(channels)),
            "channel": np.tile(channels, len(months)),
            "spend": np.round(spend.ravel(), 0),
            "currency": "USD",
        }
    )
