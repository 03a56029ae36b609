"""The runner's checked tables reach the kernels: each table is read and conformed once per run."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from revops_nb import data
from revops_nb.data import handoff
from revops_nb.data.config import read_data_config
from revops_nb.report import runner
from revops_nb.report.runner import RunOptions, plan
from revops_nb.sample_export import write_sample
from tests.helpers import ROOT

TABLES = ["opportunities", "accounts", "subscriptions", "nps_responses"]


@pytest.fixture(scope="module")
def csv_sample(tmp_path_factory) -> Path:
    """A CSV export in which one account is missing: a cross-table warning for every report."""
    data_yaml = write_sample(tmp_path_factory.mktemp("handoff"), scale=300)
    accounts = data_yaml.parent / "accounts.csv"
    frame = pd.read_csv(accounts, dtype=str)
    frame.iloc[1:].to_csv(accounts, index=False)
    return data_yaml


def _options(data_yaml: Path, tmp_path: Path) -> RunOptions:
    return RunOptions(
        reports=["win_loss"], data_file=data_yaml, out_dir=tmp_path / "out", params_dir=ROOT / "params"
    )


def _checked(data_yaml: Path, tmp_path: Path, keep: handoff.CheckedTables) -> list:
    with open("/dev/null", "w") as log:
        return plan(_options(data_yaml, tmp_path), log=log, keep=keep)


def test_a_kernel_takes_the_checked_tables_and_gets_exactly_what_it_would_load(
    csv_sample, tmp_path, monkeypatch
):
    expected = data.load(TABLES, data_file=csv_sample)
    with handoff.CheckedTables() as keep:
        requests = _checked(csv_sample, tmp_path, keep)
        assert [r.checked_tables for r in requests] == [str(keep.folder)]
        assert len(list(keep.folder.glob("*.pickle"))) == len(read_data_config(csv_sample).tables)
        monkeypatch.setenv(handoff.ENV, str(keep.folder))

        def must_not_load(*_args, **_kwargs):
            raise AssertionError("a checked table was loaded again")

        monkeypatch.setattr(data, "load_table", must_not_load)
        handed = data.load(TABLES, data_file=csv_sample)
    assert not keep.folder.exists()
    for name in TABLES:
        pd.testing.assert_frame_equal(handed[name], expected[name])
        assert handed.loads[name].summary() == expected.loads[name].summary()
    warnings = handed.exclusions().query("action == 'warning'")["issue"]
    unknown = warnings[warnings.str.contains("not in accounts")]
    assert len(unknown) == len(set(unknown)) >= 1, "the runner's cross-table warnings must not be handed over"
    assert handed.describe() == expected.describe()


def test_a_table_configured_differently_is_loaded_by_the_kernel_itself(csv_sample, tmp_path, monkeypatch):
    config = read_data_config(csv_sample)
    accounts = config.tables["accounts"]
    with handoff.CheckedTables() as keep:
        _checked(csv_sample, tmp_path, keep)
        monkeypatch.setenv(handoff.ENV, str(keep.folder))
        assert handoff.checked_load(accounts, config).frame.equals(
            data.load(["accounts"], csv_sample)["accounts"]
        )
        assert handoff.checked_load(replace(accounts, date_format="%d/%m/%Y"), config) is None
        assert handoff.checked_load(accounts, replace(config, connection="postgresql://elsewhere/db")) is None
        assert handoff.checked_load(accounts, replace(config, base_dir=tmp_path)) is None


def test_an_unreadable_kept_table_is_loaded_again(csv_sample, tmp_path, monkeypatch):
    with handoff.CheckedTables() as keep:
        _checked(csv_sample, tmp_path, keep)
        for kept in keep.folder.glob("*.pickle"):
            kept.write_bytes(b"not a pickle")
        monkeypatch.setenv(handoff.ENV, str(keep.folder))
        pd.testing.assert_frame_equal(
            data.load(["accounts"], data_file=csv_sample)["accounts"],
            data.load(["accounts"], data_file=csv_sample)["accounts"],
        )
        config = read_data_config(csv_sample)
        assert handoff.checked_load(config.tables["accounts"], config) is None


def test_without_the_runner_nothing_is_handed_over(csv_sample, monkeypatch):
    monkeypatch.delenv(handoff.ENV, raising=False)
    config = read_data_config(csv_sample)
    assert handoff.checked_load(config.tables["accounts"], config) is None


@pytest.mark.slow
def test_a_run_hands_its_checked_tables_to_the_kernel_and_removes_them(csv_sample, tmp_path, monkeypatch):
    folders: list[Path] = []

    class Recorded(handoff.CheckedTables):
        def __init__(self) -> None:
            super().__init__()
            folders.append(self.folder)

    monkeypatch.setattr(runner, "CheckedTables", Recorded)
    with open("/dev/null", "w") as log:
        assert runner.run(_options(csv_sample, tmp_path), log=log) == 0
    assert len(folders) == 1 and not folders[0].exists()
    run_json = json.loads(next((tmp_path / "out" / "win_loss").glob("*/run.json")).read_text())
    direct = data.load(list(run_json["data"]), data_file=csv_sample)
    assert {name: table["fingerprint"] for name, table in run_json["data"].items()} == {
        name: load.fingerprint for name, load in direct.loads.items()
    }
