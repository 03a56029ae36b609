"""Every bad-input rule of DESIGN §3.2: exit code, a message naming what is at fault, no traceback.

Each case writes a small data folder and runs ``revops-nb check`` in-process
(the same ``main`` the console script calls), so the suite stays fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from revops_nb.cli import main

OPPS_HEADER = "opportunity_id,account_id,stage,amount,created_date,close_date"
GOOD_OPPS = [
    "O1,A1,Closed Won,1000,2024-01-05,2024-02-01",
    "O2,A2,Closed Lost,2000,2024-01-10,2024-03-01",
    "O3,A1,Proposal,,2024-02-01,",
]
ACCOUNTS = "account_id,account_name,region\nA1,Acme,NA\nA2,Globex,EMEA\n"


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def data_yaml(folder: Path, body: str) -> Path:
    return write(folder, "data.yaml", body)


def opps_csv(folder: Path, rows: list[str], header: str = OPPS_HEADER) -> None:
    write(folder, "opps.csv", "\n".join([header, *rows]) + "\n")


OPPS_YAML = "sample: false\ntables:\n  opportunities:\n    path: opps.csv\n"


def check(capsys, data: Path) -> tuple[int, str]:
    code = main(["check", "--data", str(data)])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text
    return code, text


def expect(capsys, data: Path, code: int, *fragments: str) -> str:
    got, text = check(capsys, data)
    assert got == code, f"exit {got} != {code}:\n{text}"
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    return text


# ---------------------------------------------------------------- exit 2: the data cannot be used


def test_missing_required_column(tmp_path, capsys):
    opps_csv(
        tmp_path,
        ["O1,A1,1000,2024-01-05,2024-02-01"],
        "opportunity_id,account_id,amount,created_date,close_date",
    )
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 2, "opps.csv", "required column 'stage' is missing")


def test_unknown_column_in_columns_mapping(tmp_path, capsys):
    opps_csv(tmp_path, GOOD_OPPS)
    body = OPPS_YAML + "    columns: {DealValue: amount}\n"
    expect(capsys, data_yaml(tmp_path, body), 2, "'DealValue'", "not in the data")


def test_conflicting_duplicate_ids(tmp_path, capsys):
    opps_csv(tmp_path, [*GOOD_OPPS, "O2,A2,Closed Won,5000,2024-01-10,2024-03-01"])
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 2, "duplicated key opportunity_id='O2'")


def test_unparsable_dates(tmp_path, capsys):
    opps_csv(tmp_path, [*GOOD_OPPS, "O4,A1,Closed Won,10,someday,2024-02-01"])
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 2, "'created_date'", "'someday'")


def test_ambiguous_day_month_dates(tmp_path, capsys):
    opps_csv(tmp_path, ["O1,A1,Closed Won,10,03/04/2024,05/06/2024", "O2,A1,Closed Lost,10,01/02/2024,"])
    expect(
        capsys, data_yaml(tmp_path, OPPS_YAML), 2, "ambiguous", "'created_date'", "03/04/2024", "date_format"
    )


def test_empty_file(tmp_path, capsys):
    write(tmp_path, "opps.csv", "")
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 2, "opps.csv", "file is empty")


def test_header_only_file(tmp_path, capsys):
    opps_csv(tmp_path, [])
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 2, "opps.csv", "header but no data rows")


def test_wrong_delimiter(tmp_path, capsys):
    write(tmp_path, "opps.csv", OPPS_HEADER.replace(",", ";") + "\n" + GOOD_OPPS[0].replace(",", ";") + "\n")
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 2, "opps.csv", "';'-delimited", "delimiter")


def test_non_utf8_bytes(tmp_path, capsys):
    write(
        tmp_path,
        "opps.csv",
        (OPPS_HEADER + "\nO1,A1,Closed Won,1000,2024-01-05,2024-02-01,Zürich\n").encode("latin-1"),
    )
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 2, "opps.csv", "not valid utf-8", "0xfc", "encoding")


def test_missing_file(tmp_path, capsys):
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 2, "opps.csv", "file not found")


def test_directory_instead_of_file(tmp_path, capsys):
    (tmp_path / "opps.csv").mkdir()
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 2, "opps.csv", "is a directory")


def test_sql_syntax_error(tmp_path, capsys):
    body = "sample: false\ntables:\n  opportunities:\n    sql: SELEC * FORM nothing\n"
    expect(capsys, data_yaml(tmp_path, body), 2, "'opportunities'", "SQL failed", "syntax error")


def test_sql_returning_no_rows(tmp_path, capsys):
    opps_csv(tmp_path, GOOD_OPPS)
    body = "sample: false\ntables:\n  opportunities:\n    sql: SELECT * FROM read_csv('opps.csv') WHERE amount > 1e12\n"
    expect(capsys, data_yaml(tmp_path, body), 2, "'opportunities'", "the query returned no rows")


def test_unknown_preset(tmp_path, capsys):
    opps_csv(tmp_path, GOOD_OPPS)
    expect(
        capsys,
        data_yaml(tmp_path, OPPS_YAML + "    preset: pipedrive\n"),
        2,
        "unknown preset 'pipedrive'",
        "salesforce",
    )


def test_unknown_table_name(tmp_path, capsys):
    body = "tables:\n  deals:\n    path: opps.csv\n"
    expect(capsys, data_yaml(tmp_path, body), 2, "unknown table 'deals'", "opportunities")


def test_yaml_syntax_error(tmp_path, capsys):
    body = "tables:\n  opportunities:\n    path: [opps.csv\n"
    expect(capsys, data_yaml(tmp_path, body), 2, "data.yaml", "YAML syntax error", "line")


def test_table_of_the_wrong_shape(tmp_path, capsys):
    write(tmp_path, "opps.json", '{"opportunity_id": "O1", "stage": "Closed Won"}')
    body = "sample: false\ntables:\n  opportunities:\n    path: opps.json\n"
    expect(capsys, data_yaml(tmp_path, body), 2, "opps.json", "list of row objects")


def test_unknown_key_in_table_spec(tmp_path, capsys):
    expect(
        capsys,
        data_yaml(tmp_path, OPPS_YAML + "    pth: other.csv\n"),
        2,
        "unknown key 'pth'",
        "'opportunities'",
    )


def test_path_and_sql_both_given(tmp_path, capsys):
    body = OPPS_YAML + "    sql: SELECT 1\n"
    expect(capsys, data_yaml(tmp_path, body), 2, "exactly one of 'path:', 'sql:' or 'table:'")


def test_unset_environment_variable(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("REVOPS_TEST_UNSET", raising=False)
    body = "connection: postgresql://u:${REVOPS_TEST_UNSET}@db/crm\ntables: {}\n"
    expect(capsys, data_yaml(tmp_path, body), 2, "REVOPS_TEST_UNSET", "not set")


def test_missing_data_yaml(tmp_path, capsys):
    expect(capsys, tmp_path / "nope.yaml", 2, "nope.yaml", "data file not found")


def test_unsupported_file_type(tmp_path, capsys):
    write(tmp_path, "opps.xml", "<rows/>")
    body = "sample: false\ntables:\n  opportunities:\n    path: opps.xml\n"
    expect(capsys, data_yaml(tmp_path, body), 2, "opps.xml", "unsupported file type '.xml'")


def test_every_row_excluded(tmp_path, capsys):
    opps_csv(
        tmp_path, ["O1,A1,Closed Won,-5,2024-01-05,2024-02-01", "O2,A1,Closed Won,-7,2024-01-05,2024-02-01"]
    )
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 2, "no usable rows remain", "2 negative amount")


def test_missing_duckdb_database(tmp_path, capsys):
    body = (
        "connection: warehouse.duckdb\nsample: false\ntables:\n  opportunities:\n    table: opportunities\n"
    )
    expect(capsys, data_yaml(tmp_path, body), 2, "warehouse.duckdb", "not found")


def test_not_a_mapping(tmp_path, capsys):
    expect(capsys, data_yaml(tmp_path, "- just\n- a list\n"), 2, "data.yaml", "expected a mapping")


def test_invalid_table_continues_to_check_the_others(tmp_path, capsys):
    opps_csv(tmp_path, GOOD_OPPS)
    write(tmp_path, "accounts.csv", ACCOUNTS)
    body = OPPS_YAML + "  accounts:\n    path: accounts.csv\n  fx_rates:\n    path: missing.csv\n"
    text = expect(capsys, data_yaml(tmp_path, body), 2, "fx_rates: INVALID", "missing.csv")
    assert "opportunities: ok" in text and "accounts: ok" in text


# ---------------------------------------------------------------- exit 0: rows excluded or warned, counted


def test_scores_out_of_range_are_excluded_and_counted(tmp_path, capsys):
    write(tmp_path, "nps.csv", "account_id,score\nA1,9\nA1,11\nA2,-1\nA2,7\n")
    body = "sample: false\ntables:\n  nps_responses:\n    path: nps.csv\n"
    expect(
        capsys, data_yaml(tmp_path, body), 0, "2 rows loaded of 4", "excluded 2 row(s): score outside 0-10"
    )


def test_configured_score_scale_is_used(tmp_path, capsys):
    write(tmp_path, "csat.csv", "account_id,score\nA1,5\nA1,1\nA2,6\n")
    body = (
        "sample: false\ntables:\n  nps_responses:\n    path: csat.csv\n    score_min: 1\n    score_max: 5\n"
    )
    expect(capsys, data_yaml(tmp_path, body), 0, "excluded 1 row(s): score outside 1-5")


def test_negative_amounts_are_excluded_and_counted(tmp_path, capsys):
    opps_csv(tmp_path, [*GOOD_OPPS, "O4,A1,Closed Won,-50,2024-01-05,2024-02-01"])
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 0, "excluded 1 row(s): negative amount")


def test_close_before_create_is_excluded_and_counted(tmp_path, capsys):
    opps_csv(tmp_path, [*GOOD_OPPS, "O4,A1,Closed Won,50,2024-05-05,2024-02-01"])
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 0, "excluded 1 row(s): close date before created date")


def test_exact_duplicate_rows_are_dropped_and_counted(tmp_path, capsys):
    opps_csv(tmp_path, [*GOOD_OPPS, GOOD_OPPS[0]])
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 0, "excluded 1 row(s): exact duplicate row")


def test_blank_required_value_is_excluded_and_counted(tmp_path, capsys):
    opps_csv(tmp_path, [*GOOD_OPPS, "O4,A1,,50,2024-01-05,2024-02-01"])
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 0, "excluded 1 row(s): missing stage")


def test_unknown_account_references_are_warned(tmp_path, capsys):
    opps_csv(tmp_path, [*GOOD_OPPS, "O4,A999,Closed Won,50,2024-01-05,2024-02-01"])
    write(tmp_path, "accounts.csv", ACCOUNTS)
    body = OPPS_YAML + "  accounts:\n    path: accounts.csv\n"
    expect(capsys, data_yaml(tmp_path, body), 0, "1 row(s) reference an account_id not in accounts", "'A999'")


def test_text_in_numeric_column_is_counted(tmp_path, capsys):
    opps_csv(tmp_path, [*GOOD_OPPS, "O4,A1,Closed Won,TBD,2024-01-05,2024-02-01"])
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 0, "amount: 1 value(s) are not numbers", "'TBD'")


def test_bad_boolean_tokens_are_counted(tmp_path, capsys):
    write(tmp_path, "customers.csv", "account_id,churned,arr\nA1,Yes,100\nA2,n,200\nA3,maybe,300\n")
    body = "sample: false\ntables:\n  customers:\n    path: customers.csv\n"
    expect(
        capsys,
        data_yaml(tmp_path, body),
        0,
        "churned: 1 value(s) are not true/false",
        "'maybe'",
        "missing churned",
    )


def test_unmatched_stages_warn_that_nothing_is_closed(tmp_path, capsys):
    rows = [f"O{i},A1,Stage {i % 3},10,2024-01-05,2024-02-01" for i in range(25)]
    opps_csv(tmp_path, rows)
    expect(capsys, data_yaml(tmp_path, OPPS_YAML), 0, "no opportunity is closed", "won_stages")


def test_zero_fx_rate_is_excluded(tmp_path, capsys):
    write(tmp_path, "fx.csv", "currency,rate_to_reporting\nUSD,1\nEUR,0\n")
    body = "sample: false\ntables:\n  fx_rates:\n    path: fx.csv\n"
    expect(capsys, data_yaml(tmp_path, body), 0, "excluded 1 row(s): rate_to_reporting not positive")


@pytest.mark.parametrize("encoding_line", ["    encoding: latin-1\n"])
def test_declared_encoding_reads_latin1(tmp_path, capsys, encoding_line):
    write(tmp_path, "accounts.csv", "account_id,account_name\nA1,Zürich AG\n".encode("latin-1"))
    body = "sample: false\ntables:\n  accounts:\n    path: accounts.csv\n" + encoding_line
    expect(capsys, data_yaml(tmp_path, body), 0, "accounts: ok - 1 rows loaded")


def test_configured_stage_that_never_occurs_stops_check_and_run(tmp_path, capsys):
    opps_csv(tmp_path, [*GOOD_OPPS, "O4,A2,Negotiation,500,2024-02-01,"])
    body = OPPS_YAML + "    won_stages: [Won]\n    lost_stages: [Closed Lost]\n"
    data = data_yaml(tmp_path, body)
    text = expect(capsys, data, 2, "won_stages names 'Won', which no opportunity has", "stages seen:")
    for seen in ("'Closed Won' (1)", "'Closed Lost' (1)", "'Negotiation' (1)", "'Proposal' (1)"):
        assert seen in text
    code = main(["run", "win_loss", "--data", str(data), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "won_stages names 'Won'" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "win_loss").exists()


def test_configured_stages_that_occur_are_matched_in_any_case(tmp_path, capsys):
    opps_csv(tmp_path, GOOD_OPPS)
    body = OPPS_YAML + "    won_stages: [closed won]\n    lost_stages: [CLOSED LOST]\n"
    expect(capsys, data_yaml(tmp_path, body), 0, "opportunities: ok - 3 rows loaded")


# ---------------------------------------------------------------- exit 0: valid but suspicious, said in words


def _subs_yaml(folder: Path, rows: list[str]) -> Path:
    write(folder, "subs.csv", "\n".join(["subscription_id,account_id,start_date,end_date,arr", *rows]) + "\n")
    return data_yaml(folder, "sample: false\ntables:\n  subscriptions:\n    path: subs.csv\n")


def test_nps_scores_that_never_pass_half_the_scale_warn_of_a_csat_survey(tmp_path, capsys):
    rows = [f"R{i},A{i},2025-01-{1 + i % 28:02d},{1 + i % 5}" for i in range(30)]
    write(tmp_path, "nps.csv", "\n".join(["response_id,account_id,response_date,score", *rows]) + "\n")
    body = "sample: false\ntables:\n  nps_responses:\n    path: nps.csv\n"
    expect(
        capsys, data_yaml(tmp_path, body), 0, "no score exceeds 5 on the configured 0–10 scale", "1–5 CSAT"
    )


def test_every_deal_won_and_zero_day_cycles_warn(tmp_path, capsys):
    opps_csv(
        tmp_path,
        [f"O{i},A1,Closed Won,100,2024-01-{1 + i % 28:02d},2024-01-{1 + i % 28:02d}" for i in range(25)],
    )
    text = expect(capsys, data_yaml(tmp_path, OPPS_YAML), 0, "every closed opportunity is won (25 of 25)")
    assert "25 of 25 closed opportunities closed on the day they were created" in text


def test_zero_arr_trials_and_overlapping_subscriptions_warn(tmp_path, capsys):
    rows = [
        "S1,A1,2024-01-01,,1000",
        "S2,A1,2024-06-01,,500",  # runs beside S1
        "S3,A1,2024-07-01,2024-08-01,200",  # a third at once
        "S4,A2,2024-01-01,2024-06-01,800",
        "S5,A2,2024-06-01,,900",  # a renewal on the day the first ends: no overlap
        "S6,A3,2024-01-01,,0",
    ]
    text = expect(
        capsys, _subs_yaml(tmp_path, rows), 0, "1 subscription(s) have ARR 0 (trials or free plans?)"
    )
    assert "1 account(s) have subscriptions that run at the same time (up to 3 at once, e.g. 'A1')" in text


def test_absurd_and_infinite_amounts_warn_and_infinity_is_missing(tmp_path, capsys):
    opps_csv(
        tmp_path,
        [
            *GOOD_OPPS,
            "O4,A2,Closed Won,1e18,2024-01-10,2024-03-01",
            "O5,A2,Closed Won,inf,2024-01-10,2024-03-01",
        ],
    )
    text = expect(
        capsys, data_yaml(tmp_path, OPPS_YAML), 0, "amount: 1 value(s) of 1,000,000,000,000 or more"
    )
    assert "amount: 1 value(s) are infinite; treated as missing" in text
    from revops_nb import data

    frame = data.load(["opportunities"], data_file=tmp_path / "data.yaml")["opportunities"]
    assert frame.loc[frame["opportunity_id"] == "O5", "amount"].isna().all()


def test_responses_before_the_first_subscription_warn(tmp_path, capsys):
    write(tmp_path, "subs.csv", "subscription_id,account_id,start_date,end_date,arr\nS1,A1,2024-06-01,,100\n")
    write(
        tmp_path,
        "nps.csv",
        "response_id,account_id,response_date,score\nR1,A1,2024-01-15,9\nR2,A1,2024-07-01,7\n",
    )
    body = (
        "sample: false\ntables:\n  subscriptions:\n    path: subs.csv\n  nps_responses:\n    path: nps.csv\n"
    )
    expect(
        capsys,
        data_yaml(tmp_path, body),
        0,
        "1 response(s) are dated before their account's first subscription",
    )


def test_columns_outside_the_contract_are_named_as_unused(tmp_path, capsys):
    opps_csv(tmp_path, [f"{row},x" for row in GOOD_OPPS], header=OPPS_HEADER + ",Deal_Size__c")
    expect(
        capsys,
        data_yaml(tmp_path, OPPS_YAML),
        0,
        "1 column(s) are not in the data contract: deal_size_c; reports use them only where",
        "map it with 'columns:'",
    )


def test_a_very_wide_export_reads_only_the_contract_columns(tmp_path, capsys):
    extra = [f"custom_{i}" for i in range(10_000)]
    header = ",".join([OPPS_HEADER, *extra])
    rows = [",".join([row, *("1" for _ in extra)]) for row in GOOD_OPPS]
    write(tmp_path, "opps.csv", "\n".join([header, *rows]) + "\n")
    expect(
        capsys,
        data_yaml(tmp_path, OPPS_YAML),
        0,
        "the file has 10,006 columns; 10,000 of them are not in the data contract and were not read",
    )
    from revops_nb import data

    frame = data.load(["opportunities"], data_file=tmp_path / "data.yaml")["opportunities"]
    assert not any(c.startswith("custom_") for c in frame.columns)
    data_yaml(tmp_path, OPPS_YAML + "    columns: {custom_7: custom_7}\n")  # named: read, e.g. as a dimension
    frame = data.load(["opportunities"], data_file=tmp_path / "data.yaml")["opportunities"]
    assert [c for c in frame.columns if c.startswith("custom_")] == ["custom_7"]


def test_xlsx_formulas_without_saved_values_are_named(tmp_path, capsys):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["opportunity_id", "stage", "created_date", "amount"])
    sheet.append(["O1", "Closed Won", "2024-01-05", 100])
    sheet.append(["O2", "Closed Lost", "2024-01-06", "=D2*2"])  # openpyxl stores no computed value
    book.save(tmp_path / "opps.xlsx")
    body = "sample: false\ntables:\n  opportunities:\n    path: opps.xlsx\n"
    expect(
        capsys,
        data_yaml(tmp_path, body),
        0,
        "1 cell(s) are formulas saved without a computed value (e.g. D3 '=D2*2'); they read as missing",
    )


# ---------------------------------------------------------------- the revenue and pipeline tables


def test_negative_marketing_spend_is_excluded_and_counted(tmp_path, capsys):
    write(tmp_path, "spend.csv", "period,channel,spend\n2025-01-01,Inbound,100\n2025-01-01,Event,-5\n")
    yaml_text = "sample: false\ntables:\n  marketing_spend:\n    path: spend.csv\n"
    expect(capsys, data_yaml(tmp_path, yaml_text), 0, "excluded 1 row(s): negative spend")


def test_lead_qualified_before_it_was_created_is_excluded_and_counted(tmp_path, capsys):
    write(
        tmp_path,
        "leads.csv",
        "lead_id,created_date,source,mql_date,sql_date\n"
        "L1,2025-01-05,Inbound,2025-01-10,2025-01-20\n"
        "L2,2025-01-05,Inbound,2025-01-01,\n"
        "L3,2025-01-05,Event,2025-01-09,2025-01-07\n",
    )
    yaml_text = "sample: false\ntables:\n  leads:\n    path: leads.csv\n"
    expect(
        capsys,
        data_yaml(tmp_path, yaml_text),
        0,
        "excluded 1 row(s): MQL date before created date",
        "excluded 1 row(s): SQL date before MQL date",
    )


def test_stage_history_without_entered_date_is_a_missing_column(tmp_path, capsys):
    write(tmp_path, "stages.csv", "opportunity_id,stage\nO1,Prospecting\n")
    yaml_text = "sample: false\ntables:\n  opportunity_stages:\n    path: stages.csv\n"
    expect(capsys, data_yaml(tmp_path, yaml_text), 2, "entered_date")


def test_salesforce_opportunity_history_preset_maps_the_stage_history(tmp_path):
    from revops_nb import data

    write(
        tmp_path,
        "history.csv",
        "OpportunityId,StageName,CreatedDate,Probability\n"
        "O1,Prospecting,2025-01-02,10\nO1,Closed Won,2025-02-03,100\n",
    )
    yaml_text = (
        "sample: false\ntables:\n  opportunity_stages:\n    path: history.csv\n    preset: salesforce\n"
    )
    ds = data.load(["opportunity_stages"], data_file=data_yaml(tmp_path, yaml_text))
    frame = ds["opportunity_stages"]
    assert frame["stage"].tolist() == ["Prospecting", "Closed Won"]
    assert frame["entered_date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-02", "2025-02-03"]


def test_hubspot_contacts_preset_maps_the_lifecycle_dates(tmp_path):
    from revops_nb import data

    write(
        tmp_path,
        "contacts.csv",
        "Record ID,Create Date,Original Source,Became a Marketing Qualified Lead Date,"
        "Became a Sales Qualified Lead Date,Associated Deal IDs\n"
        "101,2025-01-02,Organic Search,2025-01-05,2025-01-09,D9\n102,2025-01-03,Paid Social,,,\n",
    )
    yaml_text = "sample: false\ntables:\n  leads:\n    path: contacts.csv\n    preset: hubspot\n"
    ds = data.load(["leads"], data_file=data_yaml(tmp_path, yaml_text))
    leads = ds["leads"]
    assert leads["mql_date"].notna().tolist() == [True, False]
    assert leads["opportunity_id"].tolist()[0] == "D9"
    assert leads["source"].tolist() == ["Organic Search", "Paid Social"]


def test_subscription_ending_before_it_starts_or_with_negative_arr_is_excluded_and_counted(tmp_path, capsys):
    rows = [
        "S1,A1,2024-01-01,2025-01-01,1000",
        "S2,A1,2025-01-01,2024-06-01,1100",  # ends before it starts
        "S3,A2,2024-01-01,,-500",  # negative ARR
        "S4,A3,2024-03-01,,700",
    ]
    expect(
        capsys,
        _subs_yaml(tmp_path, rows),
        0,
        "excluded 1 row(s): end date before start date",
        "excluded 1 row(s): negative arr",
    )


def test_several_subscriptions_per_account_without_an_end_date_column_load_and_warn(tmp_path, capsys):
    write(
        tmp_path,
        "subs.csv",
        "subscription_id,account_id,start_date,arr\nS1,A1,2024-01-01,100\nS2,A1,2024-06-01,50\nS3,A2,2024-01-01,70\n",
    )
    yaml_text = "sample: false\ntables:\n  subscriptions:\n    path: subs.csv\n"
    text = expect(capsys, data_yaml(tmp_path, yaml_text), 0, "subscriptions: ok - 3 rows loaded of 3")
    assert "1 account(s) have subscriptions that run at the same time (up to 2 at once, e.g. 'A1')" in text
