"""Integer category codes give scikit-learn's encoders exactly what text would."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

from revops_nb.reports.churn_model._categories import CategoryCodes


def _as_text(frame: pd.DataFrame) -> np.ndarray:
    """What the encoders were given before: the values as objects, missing as '(missing)'."""
    return frame.astype(object).where(frame.notna(), "(missing)").to_numpy()


@pytest.fixture
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    regions = np.array(["EMEA", "NA", "APAC", "LATAM", "Zeta", "alpha", "Émile"], dtype=object)
    fit = pd.DataFrame(
        {
            "region": pd.Series(rng.choice(regions, 500, p=[0.3, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02])),
            "segment": pd.Series(rng.choice(["SMB", "Mid", None], 500), dtype="str"),
            "tier": pd.Series(rng.choice(["1", "2", "10", None], 500), dtype=object),
        }
    )
    later = pd.DataFrame(
        {
            "region": pd.Series(["EMEA", "Mars", None, "(missing)", "alpha"], dtype=object),
            "segment": pd.Series(["Enterprise", "SMB", None, "Mid", "SMB"], dtype="str"),
            "tier": pd.Series(["3", "1", np.nan, "10", "2"], dtype=object),
        }
    )
    return fit, later


@pytest.mark.parametrize(
    "encoder",
    [
        lambda: OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, max_categories=4),
        lambda: OneHotEncoder(handle_unknown="ignore", min_frequency=20),
    ],
    ids=["ordinal", "onehot"],
)
def test_the_encoders_see_the_same_categories_in_the_same_order(frames, encoder):
    fit, later = frames
    from_text, from_codes = encoder(), encoder()
    from_text.fit(_as_text(fit))
    codes = CategoryCodes().fit(fit)
    from_codes.fit(codes.transform(fit))
    for frame in (fit, later):
        a = from_text.transform(_as_text(frame))
        b = from_codes.transform(codes.transform(frame))
        a, b = (x.toarray() if hasattr(x, "toarray") else x for x in (a, b))
        np.testing.assert_array_equal(a, b)


def test_codes_follow_the_sorted_values_and_unseen_values_are_unknown(frames):
    fit, later = frames
    codes = CategoryCodes().fit(fit)
    assert codes.categories_[1] == ["(missing)", "Mid", "SMB"]
    out = codes.transform(later)
    assert out[:, 0].tolist() == [
        codes.categories_[0].index("EMEA"),
        -1,
        -1,
        -1,
        codes.categories_[0].index("alpha"),
    ]  # region had no missing value in fitting, so neither None nor the text '(missing)' is known
    assert out[:, 1].tolist() == [-1, 2, 0, 1, 2]
    assert codes.categories_[2] == ["(missing)", "1", "10", "2"]  # text order, as the encoders sort text
    assert list(codes.get_feature_names_out()) == ["region", "segment", "tier"]
