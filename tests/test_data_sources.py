"""Loading real-shaped sources: file formats, DuckDB SQL, databases, presets, renames, coercion."""

from __future__ import annotations

import sqlite3

import duckdb
import pandas as pd
import pytest

from revops_nb import data, sample
from revops_nb.data.coercion import snake_case, to_bool, to_date, to_number
from revops_nb.errors import ConfigError, DataError
from tests.helpers import write_data_yaml

SF_CSV = """Opportunity ID,Account ID,Opportunity Owner,Stage,Amount,Opportunity Currency,Created Date,Close Date,Lead Source,Type,Primary Competitor
006A,001A,Avery Chen,Closed Won,"$12,500.00",USD,3/14/2024,4/30/2024,Web,New Business,Vantora
006B,001B,Avery Chen,Closed Lost,"8,000",USD,3/20/2024,5/2/2024,Partner,New Business,
006C,001A,Jordan Patel,Negotiation,,USD,4/2/2024,,Web,Expansion,Quellio
"""

HUBSPOT_CSV = """Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Deal owner,Associated Company ID,Closed Lost Reason
101,Big deal,closedwon,5000,2024-01-03 10:00,2024-02-01 12:00,Riley Novak,900,
102,Small deal,closedlost,1200,2024-01-05 09:30,2024-02-11 17:45,Riley Novak,901,Price
103,Open deal,appointmentscheduled,,2024-02-05 08:00,,Quinn Larsen,900,
"""


def test_salesforce_report_export_with_preset(tmp_path):
    (tmp_path / "sf.csv").write_text(SF_CSV)
    cfg = write_data_yaml(
        tmp_path, {"opportunities": {"path": "sf.csv", "preset": "salesforce"}}, sample=False
    )
    opps = data.load(["opportunities"], cfg)["opportunities"]
    assert list(opps["opportunity_id"]) == ["006A", "006B", "006C"]
    assert opps["amount"].tolist()[:2] == [12500.0, 8000.0] and pd.isna(opps["amount"].iloc[2])
    assert opps["created_date"].iloc[0] == pd.Timestamp("2024-03-14")
    assert opps["is_won"].tolist() == [True, False, False]
    assert opps["is_closed"].tolist() == [True, True, False]
    assert opps["competitor"].iloc[0] == "Vantora"


def test_hubspot_export_with_preset_and_stage_lists(tmp_path):
    (tmp_path / "hs.csv").write_text(HUBSPOT_CSV)
    spec = {"path": "hs.csv", "preset": "hubspot", "won_stages": ["closedwon"], "lost_stages": ["closedlost"]}
    cfg = write_data_yaml(tmp_path, {"opportunities": spec}, sample=False)
    opps = data.load(["opportunities"], cfg)["opportunities"]
    assert opps["is_won"].tolist() == [True, False, False]
    assert opps["is_closed"].tolist() == [True, True, False]
    assert opps["account_id"].tolist() == ["900", "901", "900"]
    assert opps["loss_reason"].iloc[1] == "Price"
    assert "deal_name" in opps.columns  # unmapped headers become snake_case


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx", "json", "jsonl"])
def test_every_file_format_loads_the_same_rows(tmp_path, fmt):
    frame = sample.table("accounts", scale=60)
    path = tmp_path / f"accounts.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    elif fmt == "xlsx":
        frame.to_excel(path, index=False)
    elif fmt == "json":
        frame.to_json(path, orient="records", date_format="iso")
    else:
        frame.to_json(path, orient="records", lines=True, date_format="iso")
    cfg = write_data_yaml(tmp_path, {"accounts": {"path": path.name}}, sample=False)
    loaded = data.load(["accounts"], cfg)["accounts"]
    assert len(loaded) == 60
    assert loaded["account_id"].tolist() == frame["account_id"].tolist()
    assert loaded["created_date"].dt.date.tolist() == frame["created_date"].dt.date.tolist()
    assert loaded["employees"].tolist() == frame["employees"].astype(float).tolist()


def test_duckdb_sql_over_files_resolves_paths_against_the_data_yaml(tmp_path, monkeypatch):
    (tmp_path / "exports").mkdir()
    sample.table("opportunities", scale=60).to_csv(tmp_path / "exports" / "opps.csv", index=False)
    sql = "SELECT * FROM read_csv('exports/opps.csv') WHERE region = 'EMEA'"
    cfg = write_data_yaml(tmp_path, {"opportunities": {"sql": sql}}, sample=False)
    monkeypatch.chdir("/")
    opps = data.load(["opportunities"], cfg)["opportunities"]
    assert len(opps) > 0 and set(opps["region"]) == {"EMEA"}


def test_duckdb_database_file_with_table_and_sql(tmp_path):
    con = duckdb.connect(str(tmp_path / "crm.duckdb"))
    accounts = sample.table("accounts", scale=60)  # noqa: F841 - read by DuckDB below
    con.execute("CREATE TABLE accts AS SELECT * FROM accounts")
    con.close()
    tables = {"accounts": {"table": "accts"}, "opportunities": {"sql": "SELECT 1 AS x"}}
    cfg = write_data_yaml(tmp_path, {"accounts": tables["accounts"]}, connection="crm.duckdb", sample=False)
    assert len(data.load(["accounts"], cfg)["accounts"]) == 60


def test_sqlite_through_sqlalchemy_url(tmp_path):
    with sqlite3.connect(tmp_path / "crm.sqlite") as con:
        sample.table("nps_responses", scale=60).assign(
            response_date=lambda f: f["response_date"].dt.strftime("%Y-%m-%d")
        ).to_sql("nps", con, index=False)
    spec = {"nps_responses": {"sql": "SELECT * FROM nps WHERE score >= 0"}}
    cfg = write_data_yaml(tmp_path, spec, connection="sqlite:///crm.sqlite", sample=False)
    nps = data.load(["nps_responses"], cfg)["nps_responses"]
    assert len(nps) == len(sample.table("nps_responses", scale=60))
    assert nps["response_date"].dtype == "datetime64[ns]"


def test_env_vars_expand_and_passwords_never_appear_in_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("REVOPS_TEST_PW", "hunter2-secret")
    cfg = write_data_yaml(
        tmp_path,
        {"accounts": {"sql": "SELECT * FROM accounts"}},
        connection="sqlite:///${REVOPS_TEST_DB}",
        sample=False,
    )
    monkeypatch.setenv("REVOPS_TEST_DB", "missing.sqlite")
    with pytest.raises(DataError, match=r"missing\.sqlite"):
        data.load(["accounts"], cfg)
    cfg = write_data_yaml(
        tmp_path,
        {"accounts": {"sql": "SELECT 1"}},
        connection="postgresql+nosuchdriver://revops:${REVOPS_TEST_PW}@localhost/crm",
        sample=False,
    )
    with pytest.raises(DataError) as err:
        data.load(["accounts"], cfg)
    assert "hunter2-secret" not in str(err.value) and "***" in str(err.value)


def test_unconfigured_tables_come_from_sample_or_are_missing(tmp_path):
    (tmp_path / "fx.csv").write_text("currency,rate_to_reporting\nUSD,1\n")
    with_sample = write_data_yaml(tmp_path / "a", {"fx_rates": {"path": "../fx.csv"}}, sample=True)
    ds = data.load(["fx_rates", "accounts"], with_sample)
    assert len(ds["fx_rates"]) == 1 and ds.has("accounts") and ds.is_sample
    without = write_data_yaml(tmp_path / "b", {"fx_rates": {"path": "../fx.csv"}}, sample=False)
    ds = data.load(["fx_rates", "accounts"], without)
    assert ds.missing == ["accounts"] and not ds.has("accounts")
    assert "not available: accounts" in ds.describe()


def test_labels_differing_in_case_or_spacing_get_one_spelling(tmp_path):
    (tmp_path / "opps.csv").write_text(
        "opportunity_id,stage,created_date,product\nO1,Closed Won,2024-01-01,Core  Platform\n"
        "O2,Closed Won,2024-01-01,core platform\nO3,Closed Lost,2024-01-01,Core Platform\n"
        "O4,Closed Lost,2024-01-01,Core Platform\n"
    )
    (tmp_path / "subs.csv").write_text("account_id,start_date,product\nA1,2024-01-01,CORE PLATFORM\n")
    cfg = write_data_yaml(
        tmp_path, {"opportunities": {"path": "opps.csv"}, "subscriptions": {"path": "subs.csv"}}, sample=False
    )
    ds = data.load(["opportunities", "subscriptions"], cfg)
    assert set(ds["opportunities"]["product"]) == {"Core Platform"}
    assert set(ds["subscriptions"]["product"]) == {"Core Platform"}


def test_unknown_table_name_in_load_call():
    with pytest.raises(KeyError, match="deals"):
        data.load(["deals"])


def test_config_errors_name_the_file(tmp_path):
    bad = tmp_path / "data.yaml"
    bad.write_text("tables:\n  accounts: just-a-string\n")
    with pytest.raises(ConfigError, match=r"data\.yaml: table .accounts. must be a mapping"):
        data.load(["accounts"], bad)


# ---------------------------------------------------------------- coercion units


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Yes", True),
        ("no", False),
        ("Y", True),
        ("n", False),
        ("TRUE", True),
        ("false", False),
        ("1", True),
        ("0", False),
        (" yes ", True),
    ],
)
def test_boolean_tokens(raw, expected):
    assert to_bool(pd.Series([raw])).values.iloc[0] == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("$1,234.50", 1234.5),
        ("€ 99", 99.0),
        ("(250)", -250.0),
        ("12 500", 12500.0),
        ("1_000", 1000.0),
        ("USD 3,000", 3000.0),
        ("  42 ", 42.0),
    ],
)
def test_numeric_text(raw, expected):
    assert to_number(pd.Series([raw])).values.iloc[0] == expected


def test_numbers_count_what_could_not_be_read():
    result = to_number(pd.Series(["10", "", None, "n/a", "ten", "??"]))
    assert result.n_bad == 2 and result.example == "ten"


@pytest.mark.parametrize(
    ("values", "first"),
    [
        (["2024-03-14", "2024-12-01"], "2024-03-14"),
        (["3/14/2024", "12/31/2024"], "2024-03-14"),
        (["14/03/2024", "31/12/2024"], "2024-03-14"),
        (["14.03.2024", "01.12.2024"], "2024-03-14"),
        (["2024-03-14T10:00:00Z", "2024-12-01T00:00:00+02:00"], "2024-03-14 10:00"),
        (["Mar 14, 2024", "Dec 1, 2024"], "2024-03-14"),
    ],
)
def test_common_crm_date_formats(values, first):
    out = to_date(pd.Series(values), "d", "t")
    assert out.values.iloc[0] == pd.Timestamp(first)


def test_explicit_date_format_resolves_ambiguity():
    out = to_date(pd.Series(["03/04/2024"]), "d", "t", date_format="%d/%m/%Y")
    assert out.values.iloc[0] == pd.Timestamp("2024-04-03")


def test_snake_case_headers():
    assert [snake_case(h) for h in ["Account ID", "CloseDate", " Deal  Stage ", "ARR (USD)"]] == [
        "account_id",
        "close_date",
        "deal_stage",
        "arr_usd",
    ]


# ---------------------------------------------------------------- review findings, kept fixed


def test_european_decimal_commas_are_read_not_corrupted():
    values = to_number(pd.Series(["1.234,56", "1,5", "EUR 2.000,00", "1 234,56"])).values
    assert values.tolist() == [1234.56, 1.5, 2000.0, 1234.56]
    us = to_number(pd.Series(["$1,234.50", "1,500", "12 500"])).values
    assert us.tolist() == [1234.5, 1500.0, 12500.0]
    forced = to_number(pd.Series(["1,500"]), decimal=",").values
    assert forced.tolist() == [1.5]


def test_far_future_end_dates_mean_open_ended(tmp_path, capsys):
    from revops_nb.cli import main

    (tmp_path / "subs.csv").write_text(
        "account_id,start_date,end_date\nA1,2024-01-01,9999-12-31\nA2,2024-01-01,\n"
    )
    cfg = write_data_yaml(tmp_path, {"subscriptions": {"path": "subs.csv"}}, sample=False)
    subs = data.load(["subscriptions"], cfg)["subscriptions"]
    assert subs["end_date"].isna().all()
    assert main(["check", "--data", str(cfg)]) == 0
    assert "1 date(s) after 2262, e.g. '9999-12-31' read as 'no date'" in capsys.readouterr().out


def test_numeric_ids_with_blanks_still_join(tmp_path):
    pd.DataFrame({"account_id": [123, 456]}).to_excel(tmp_path / "accounts.xlsx", index=False)
    opps = pd.DataFrame(
        {
            "opportunity_id": [1, 2, 3],
            "account_id": [123, None, 456],
            "stage": ["Closed Won"] * 3,
            "created_date": ["2024-01-01"] * 3,
        }
    )
    opps.to_excel(tmp_path / "opps.xlsx", index=False)
    cfg = write_data_yaml(
        tmp_path,
        {"accounts": {"path": "accounts.xlsx"}, "opportunities": {"path": "opps.xlsx"}},
        sample=False,
    )
    ds = data.load(["accounts", "opportunities"], cfg)
    assert ds["opportunities"]["account_id"].tolist()[0] == "123"
    assert ds["opportunities"]["opportunity_id"].tolist() == ["1", "2", "3"]
    assert not ds.loads["opportunities"].warnings


def test_sqlite_file_named_db_is_read_as_sqlite(tmp_path):
    with sqlite3.connect(tmp_path / "crm.db") as con:
        con.execute("CREATE TABLE fx (currency TEXT, rate_to_reporting REAL)")
        con.execute("INSERT INTO fx VALUES ('USD', 1.0), ('EUR', 1.1)")
    cfg = write_data_yaml(tmp_path, {"fx_rates": {"table": "fx"}}, connection="crm.db", sample=False)
    assert data.load(["fx_rates"], cfg)["fx_rates"]["rate_to_reporting"].tolist() == [1.0, 1.1]


def test_date_errors_show_the_value_that_failed():
    with pytest.raises(DataError, match=r"1 value\(s\) that are not dates .* e\.g\. 'garbage'"):
        to_date(pd.Series(["01/15/2024"] * 9 + ["garbage"]), "close_date", "t")


def test_literal_dollar_brace_and_sample_scale_checks(tmp_path):
    cfg = tmp_path / "data.yaml"
    cfg.write_text(
        "tables:\n  fx_rates:\n    sql: SELECT 'x$${y}' AS currency, 1.0 AS rate_to_reporting\nsample: false\n"
    )
    assert data.load(["fx_rates"], cfg)["fx_rates"]["currency"].tolist() == ["x${y}"]
    cfg.write_text("sample_scale: 0\n")
    with pytest.raises(ConfigError, match="at least 50"):
        data.load(["accounts"], cfg)
