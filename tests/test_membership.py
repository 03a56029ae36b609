"""``is_in`` answers exactly as pandas' ``isin`` does, for every kind of key column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revops_nb.data.membership import is_in, lookup, position_in

KNOWN = ["A-1", "A-2", "ä-3", "", "A-10"]
CASES = {
    "text": (pd.Series(["A-1", None, "A-3", "ä-3", "", "a-1", "A-10 "], dtype="str"), pd.Index(KNOWN)),
    "object text": (pd.Series(["A-2", np.nan, "A-9", ""], dtype=object), pd.Series(KNOWN, dtype=object)),
    "known with missing": (pd.Series(["A-1", None], dtype="str"), pd.Index(["A-1", None], dtype=object)),
    "mixed objects": (pd.Series(["A-1", 7, None, 3.0], dtype=object), pd.Index([7, "A-1"], dtype=object)),
    "numbers": (pd.Series([1, 2, 3, 10]), pd.Index([10, 2])),
    "numbers against text": (pd.Series([1, 2]), pd.Index(["1", "2"])),
    "text against numbers": (pd.Series(["1", "2"], dtype="str"), pd.Index([1, 2])),
    "all missing": (pd.Series([None, None], dtype="str"), pd.Index(KNOWN)),
    "nothing known": (pd.Series(["A-1"], dtype="str"), pd.Index([], dtype="str")),
}


@pytest.mark.parametrize("values, known", CASES.values(), ids=CASES.keys())
def test_is_in_agrees_with_pandas(values, known):
    expected = values.isin(pd.Index(known).dropna()).to_numpy(bool) & values.notna().to_numpy(bool)
    got = is_in(values, known)
    assert got.dtype == bool and got.shape == (len(values),)
    np.testing.assert_array_equal(got, expected)


def test_is_in_on_a_large_text_column():
    rng = np.random.default_rng(0)
    ids = pd.Series([f"ACC-{i}" for i in rng.integers(0, 5000, 20000)], dtype="str")
    known = pd.Index([f"ACC-{i}" for i in range(0, 5000, 3)], dtype="str")
    np.testing.assert_array_equal(is_in(ids, known), ids.isin(known).to_numpy(bool))


@pytest.mark.parametrize(
    "values, keys",
    [
        (pd.Series(["A-2", None, "zz", "A-1", "ä-3"], dtype="str"), pd.Index(KNOWN, dtype="str")),
        (pd.Series(["A-2", np.nan, "zz"], dtype=object), pd.Index(KNOWN, dtype=object)),
        (pd.Series([3, 1, 9]), pd.Index([1, 2, 3])),
        (pd.Series(["1", "3"], dtype="str"), pd.Index([1, 3])),
    ],
    ids=["text", "object text", "numbers", "text against numbers"],
)
def test_position_in_agrees_with_a_map_onto_positions(values, keys):
    expected = values.map(pd.Series(np.arange(len(keys)), index=keys)).fillna(-1).to_numpy("int64")
    np.testing.assert_array_equal(position_in(values, keys), expected)


def test_lookup_answers_like_a_map_and_fills_what_has_no_key():
    values = pd.Series(["A-2", None, "zz", "A-1"], dtype="str")
    keys = pd.Index(["A-1", "A-2"], dtype="str")
    when = np.array(["2024-01-01", "2024-02-01"], dtype="datetime64[ns]")
    got = lookup(values, keys, when, np.datetime64("NaT"))
    expected = values.map(pd.Series(when, index=keys)).to_numpy("datetime64[ns]")
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.dtype("datetime64[ns]")
    nothing = lookup(values, pd.Index([], dtype="str"), np.array([], dtype=float), np.nan)
    assert nothing.dtype == np.float64 and np.isnan(nothing).all() and len(nothing) == 4
