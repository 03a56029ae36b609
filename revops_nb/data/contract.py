"""The data contract: canonical columns of each table and the row rules they obey.

Column presence and types are declared in :data:`TABLES`; row-level rules
(ranges, non-negative amounts, dates in order) are pandera checks, validated
lazily so every failing row is found at once. Rows that break a rule are
excluded and counted by reason; the loader turns them into warnings the
report prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors


@dataclass(frozen=True)
class TableSpec:
    """Canonical shape of one table: key, required columns and column kinds."""

    name: str
    key: tuple[str, ...]
    required: tuple[str, ...]
    kinds: dict[str, str]
    numeric_extras: bool = False
    description: str = ""
    references_accounts: bool = True
    extra_required_any: tuple[str, ...] = field(default_factory=tuple)


_TEXT = "text"
_NUM = "number"
_DATE = "date"
_BOOL = "bool"

TABLES: dict[str, TableSpec] = {
    "accounts": TableSpec(
        "accounts",
        key=("account_id",),
        required=("account_id",),
        kinds={
            "account_id": _TEXT,
            "account_name": _TEXT,
            "region": _TEXT,
            "country": _TEXT,
            "segment": _TEXT,
            "industry": _TEXT,
            "employees": _NUM,
            "created_date": _DATE,
        },
        references_accounts=False,
        description="one row per account",
    ),
    "opportunities": TableSpec(
        "opportunities",
        key=("opportunity_id",),
        required=("opportunity_id", "stage", "created_date"),
        kinds={
            "opportunity_id": _TEXT,
            "account_id": _TEXT,
            "owner": _TEXT,
            "product": _TEXT,
            "stage": _TEXT,
            "amount": _NUM,
            "currency": _TEXT,
            "created_date": _DATE,
            "close_date": _DATE,
            "is_closed": _BOOL,
            "is_won": _BOOL,
            "loss_reason": _TEXT,
            "competitor": _TEXT,
            "lead_source": _TEXT,
            "decision_makers": _NUM,
            "opportunity_type": _TEXT,
            "region": _TEXT,
            "segment": _TEXT,
        },
        description="one row per opportunity (deal)",
    ),
    "nps_responses": TableSpec(
        "nps_responses",
        key=("response_id",),
        required=("account_id", "score"),
        kinds={"response_id": _TEXT, "account_id": _TEXT, "response_date": _DATE, "score": _NUM},
        description="one row per survey response",
    ),
    "subscriptions": TableSpec(
        "subscriptions",
        key=("subscription_id",),
        required=("account_id", "start_date"),
        kinds={
            "subscription_id": _TEXT,
            "account_id": _TEXT,
            "start_date": _DATE,
            "end_date": _DATE,
            "arr": _NUM,
            "mrr": _NUM,
            "product": _TEXT,
            "currency": _TEXT,
        },
        description="one row per subscription",
    ),
    "customers": TableSpec(
        "customers",
        key=("account_id",),
        required=("account_id", "churned"),
        kinds={"account_id": _TEXT, "churned": _BOOL, "arr": _NUM},
        numeric_extras=True,
        description="one row per customer with a churn flag",
    ),
    "usage": TableSpec(
        "usage",
        key=("account_id", "period_start"),
        required=("account_id", "period_start"),
        kinds={"account_id": _TEXT, "period_start": _DATE},
        numeric_extras=True,
        description="one row per account and period",
    ),
    "market": TableSpec(
        "market",
        key=("region", "segment"),
        required=("region",),
        kinds={
            "region": _TEXT,
            "segment": _TEXT,
            "addressable_accounts": _NUM,
            "addressable_arr": _NUM,
        },
        references_accounts=False,
        description="addressable market by region and segment",
    ),
    "fx_rates": TableSpec(
        "fx_rates",
        key=("currency",),
        required=("currency", "rate_to_reporting"),
        kinds={"currency": _TEXT, "rate_to_reporting": _NUM},
        references_accounts=False,
        description="one row per currency",
    ),
    "support_tickets": TableSpec(
        "support_tickets",
        key=("ticket_id",),
        required=("account_id", "created_date"),
        kinds={
            "ticket_id": _TEXT,
            "account_id": _TEXT,
            "created_date": _DATE,
            "closed_date": _DATE,
            "priority": _TEXT,
            "resolution_hours": _NUM,
            "satisfaction": _NUM,
        },
        description="one row per support ticket (optional; CSAT in satisfaction)",
    ),
    "churn_events": TableSpec(
        "churn_events",
        key=("account_id", "churn_date", "reason"),
        required=("account_id", "churn_date"),
        kinds={
            "account_id": _TEXT,
            "churn_date": _DATE,
            "reason": _TEXT,
            "churn_type": _TEXT,
            "feedback": _TEXT,
        },
        description="one row per churned customer and date, with the reason given (optional)",
    ),
    "marketing_spend": TableSpec(
        "marketing_spend",
        key=("period", "channel"),
        required=("period", "channel", "spend"),
        kinds={"period": _DATE, "channel": _TEXT, "spend": _NUM, "currency": _TEXT},
        references_accounts=False,
        description=(
            "acquisition spend per period (the first day of the month or quarter it belongs to) and "
            "channel, matching opportunities.lead_source (optional; for CAC and payback)"
        ),
    ),
    "opportunity_stages": TableSpec(
        "opportunity_stages",
        key=("opportunity_id", "stage", "entered_date"),
        required=("opportunity_id", "stage", "entered_date"),
        kinds={"opportunity_id": _TEXT, "stage": _TEXT, "entered_date": _DATE},
        references_accounts=False,
        description="one row per stage an opportunity entered: its stage history (optional; for the funnel)",
    ),
    "leads": TableSpec(
        "leads",
        key=("lead_id",),
        required=("lead_id", "created_date"),
        kinds={
            "lead_id": _TEXT,
            "created_date": _DATE,
            "source": _TEXT,
            "mql_date": _DATE,
            "sql_date": _DATE,
            "opportunity_id": _TEXT,
        },
        references_accounts=False,
        description=(
            "one row per lead, with the dates it became a marketing- and sales-qualified lead and the "
            "opportunity it became (optional; for the lead plan)"
        ),
    ),
    "targets": TableSpec(
        "targets",
        key=("period",),
        required=("period", "target"),
        kinds={"period": _DATE, "target": _NUM},
        references_accounts=False,
        description=(
            "bookings target per period (any date in the month or quarter it is for; rows of one period, "
            "e.g. per rep, are added up), in the reporting currency (optional; for coverage and the lead plan)"
        ),
    ),
}


# (earlier, later, reason): a row whose later date precedes its earlier one is excluded for the reason
DATE_ORDER: dict[str, tuple[tuple[str, str, str], ...]] = {
    "opportunities": (("created_date", "close_date", "close date before created date"),),
    "subscriptions": (("start_date", "end_date", "end date before start date"),),
    "support_tickets": (("created_date", "closed_date", "closed date before created date"),),
    "leads": (
        ("created_date", "mql_date", "MQL date before created date"),
        ("mql_date", "sql_date", "SQL date before MQL date"),
    ),
}


def uncontracted_columns_warning(name: str, columns: list[str]) -> str | None:
    """The warning for columns of ``name`` outside the contract (None when all are in it, or extras are features)."""
    spec = TABLES[name]
    unused = [str(c) for c in columns if c not in spec.kinds] if not spec.numeric_extras else []
    if not unused:
        return None
    shown = ", ".join(unused[:8]) + (f" and {len(unused) - 8} more" if len(unused) > 8 else "")
    return (
        f"{len(unused)} column(s) are not in the data contract: {shown}; reports use them only where "
        "a parameter names one (a market dimension, the NPS segment_dimension); if one holds a "
        "canonical field, map it with 'columns:'"
    )


def row_schema(table: str, score_min: float = 0, score_max: float = 10) -> pa.DataFrameSchema:
    """Pandera schema of the row rules of ``table``; check names are the reasons shown to users.

    ``score_min``/``score_max`` bound NPS scores and ticket satisfaction (CSAT): the
    default 0-10 admits the usual 1-5 and 0-10 scales; a 0-100 scale is set in data.yaml.
    """
    spec = TABLES[table]
    columns: dict[str, pa.Column] = {}
    checks: list[pa.Check] = []
    for col in spec.required:
        columns[col] = pa.Column(nullable=False, required=True, name=col, checks=[], coerce=False)
    if table == "opportunities":
        columns["amount"] = pa.Column(
            float, _rule(lambda s: s >= 0, "negative amount"), nullable=True, required=False
        )
        columns["decision_makers"] = pa.Column(
            float, _rule(lambda s: s >= 0, "negative decision_makers"), nullable=True, required=False
        )
    elif table == "nps_responses":
        reason = f"score outside {score_min:g}-{score_max:g}"
        columns["score"] = pa.Column(
            float, _rule(lambda s: (s >= score_min) & (s <= score_max), reason), nullable=False
        )
    elif table == "subscriptions":
        columns["arr"] = pa.Column(
            float, _rule(lambda s: s >= 0, "negative arr"), nullable=True, required=False
        )
        columns["mrr"] = pa.Column(
            float, _rule(lambda s: s >= 0, "negative mrr"), nullable=True, required=False
        )
    elif table == "customers":
        columns["arr"] = pa.Column(
            float, _rule(lambda s: s >= 0, "negative arr"), nullable=True, required=False
        )
    elif table == "fx_rates":
        columns["rate_to_reporting"] = pa.Column(
            float, _rule(lambda s: s > 0, "rate_to_reporting not positive"), nullable=False
        )
    elif table == "support_tickets":
        columns["resolution_hours"] = pa.Column(
            float, _rule(lambda s: s >= 0, "negative resolution_hours"), nullable=True, required=False
        )
        reason = f"satisfaction outside {score_min:g}-{score_max:g}"
        columns["satisfaction"] = pa.Column(
            float,
            _rule(lambda s: (s >= score_min) & (s <= score_max), reason),
            nullable=True,
            required=False,
        )
    elif table == "marketing_spend":
        columns["spend"] = pa.Column(float, _rule(lambda s: s >= 0, "negative spend"), nullable=False)
    elif table == "targets":
        columns["target"] = pa.Column(float, _rule(lambda s: s >= 0, "negative target"), nullable=False)
    elif table == "market":
        for col in ("addressable_accounts", "addressable_arr"):
            columns[col] = pa.Column(
                float, _rule(lambda s: s >= 0, f"negative {col}"), nullable=True, required=False
            )
    checks += [_ordered(first, second, reason) for first, second, reason in DATE_ORDER.get(table, ())]
    return pa.DataFrameSchema(columns, checks=checks, strict=False, coerce=False)


def _rule(fn, reason: str) -> pa.Check:
    """A vectorized column check whose name is the exclusion reason users read."""
    return pa.Check(fn, name=reason, error=reason)


def _ordered(first: str, second: str, reason: str) -> pa.Check:
    def check(df: pd.DataFrame) -> pd.Series:
        if first not in df or second not in df:
            return pd.Series(True, index=df.index)
        return df[second].isna() | df[first].isna() | (df[second] >= df[first])

    return pa.Check(check, name=reason)


def rule_violations(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> dict[str, pd.Index]:
    """Row labels failing each rule of ``schema``, keyed by the rule's reason."""
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["index"].notna()]
        out: dict[str, pd.Index] = {}
        for (reason, column), group in cases.groupby(["check", "column"], sort=False, dropna=False):
            label = f"missing {column}" if reason == "not_nullable" else str(reason)
            previous = out.get(label, pd.Index([]))
            out[label] = previous.union(pd.Index(group["index"].unique()))
        return out
    return {}
