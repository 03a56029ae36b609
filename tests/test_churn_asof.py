"""``last_before`` finds what ``merge_asof(by=..., allow_exact_matches=False)`` finds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revops_nb.reports.churn_model._asof import last_before


@pytest.mark.parametrize("seed", range(5))
def test_last_before_agrees_with_merge_asof(seed):
    rng = np.random.default_rng(seed)
    day = pd.Timestamp("2024-01-01")
    events = pd.DataFrame(
        {
            "account": rng.integers(0, 40, 600),
            "when": day + pd.to_timedelta(rng.integers(0, 200, 600), unit="D"),  # ties included
            "value": np.arange(600),
        }
    ).sort_values(["account", "when"], kind="stable", ignore_index=True)
    rows = pd.DataFrame(
        {
            "account": rng.integers(-1, 45, 900),  # -1: an account without events; 40-44: none either
            "at": day + pd.to_timedelta(rng.integers(-10, 220, 900), unit="D"),
        }
    )
    rows.loc[rows.sample(20, random_state=seed).index, "at"] = pd.NaT
    expected = (
        pd.merge_asof(
            rows.assign(row=np.arange(len(rows))).dropna(subset=["at"]).sort_values("at", kind="stable"),
            events.sort_values("when", kind="stable"),
            left_on="at",
            right_on="when",
            by="account",
            direction="backward",
            allow_exact_matches=False,
        )
        .set_index("row")["value"]
        .reindex(np.arange(len(rows)))
    )
    position = last_before(
        events["account"].to_numpy(),
        events["when"].to_numpy().view("int64"),
        rows["account"].to_numpy(),
        rows["at"].to_numpy().view("int64"),
    )
    got = np.where(position >= 0, events["value"].to_numpy()[position], np.nan)
    np.testing.assert_array_equal(got, expected.to_numpy(dtype=float))
    assert (position >= 0).sum() > 300  # the comparison is not vacuous
