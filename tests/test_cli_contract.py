"""The command line's contract with operators and their scripts: bad input is one line and
status 2, read commands never write, exit statuses mean what the README says, and the README's
command table lists every option there is.

Where the contract needs a crawl of its own kind, its test sits with that kind: a run the database
was away for (test_database_away), figures that agree with the rows (test_run_figures), copies of
dropped pages (test_copies), `scrapy crawl news -a source=NAME` (test_sources), the search table
readers find (test_migrations), robots.txt once per site (test_sitemaps) and the contact warning
(test_crawl)."""

import hashlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from crawler.cli import build_parser, main
from tests.conftest import FAST, ROOT, newscrawl

READ_COMMANDS = [
    ["stats"], ["runs"], ["runs", "show", "1"], ["export"], ["search", "harbour"],
    ["history", "https://news.example/a"], ["duplicates"], ["db", "current"], ["alarms"],
]


def one_error_line(result: subprocess.CompletedProcess[str], status: int = 2) -> str:
    """The single error line of a failed command, checked for what the contract promises."""
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert re.match(r"newscrawl( \w+)?: error: ", lines[0]), lines[0]
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused_port() -> int:
    """A loopback port nothing listens on: connections to it are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def stored_db(tmp_path_factory: pytest.TempPathFactory, demo_site: str) -> Path:
    """A newscrawl database holding one crawl of the demo site, with the crawl's output."""
    db_file = tmp_path_factory.mktemp("stored") / "news.db"
    result = newscrawl("crawl", demo_site, "--db", f"sqlite:///{db_file}", *FAST)
    assert result.returncode == 0, result.stderr
    (db_file.parent / "summary.txt").write_text(result.stdout)
    return db_file


@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_read_commands_create_no_database(command: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "demo.db"
    line = one_error_line(newscrawl(*command, "--db", f"sqlite:///{missing}"))
    assert f"no newscrawl database at sqlite:///{missing}" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_read_commands_leave_a_foreign_database_alone(command: list[str], tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE measurements (station TEXT, value REAL)")
    before = digest(other)
    line = one_error_line(newscrawl(*command, "--db", f"sqlite:///{other}"))
    assert "no newscrawl database at" in line
    assert digest(other) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_read_commands_leave_a_newscrawl_database_byte_for_byte(command: list[str], stored_db: Path) -> None:
    before = {p.name: digest(p) for p in stored_db.parent.glob("news.db*")}
    result = newscrawl(*command, "--db", f"sqlite:///{stored_db}")
    assert "Traceback" not in result.stderr
    assert {p.name: digest(p) for p in stored_db.parent.glob("news.db*")} == before


def test_read_commands_do_not_create_the_schema_in_postgresql(postgres_url: str) -> None:
    for command in (["stats"], ["export"], ["runs"]):
        assert "no newscrawl database at" in one_error_line(newscrawl(*command, "--db", postgres_url))
    engine = create_engine(postgres_url)
    assert inspect(engine).get_table_names() == []
    engine.dispose()


def test_hints_and_errors_name_the_database(stored_db: Path) -> None:
    db = f"sqlite:///{stored_db}"
    summary = (stored_db.parent / "summary.txt").read_text()
    hint = re.search(r"newscrawl runs show \d+ --db \S+", summary)
    assert hint is not None and hint.group(0).endswith(db)
    shown = newscrawl(*hint.group(0).split()[1:])
    assert shown.returncode == 0 and "pages fetched" in shown.stdout
    assert one_error_line(newscrawl("runs", "show", "99", "--db", db)) == f"newscrawl: error: no crawl run 99 in {db}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "ftp://example.org/"], "not an http(s) URL: 'ftp://example.org/'"),
        (["crawl", "http://[::1"], "not an http(s) URL: 'http://[::1'"),
        (["crawl", "http://127.0.0.1:9/", "--db", "sqlite:////nonexistent/dir/x.db"], "cannot use database"),
        (["crawl", "http://127.0.0.1:9/", "--db", "mysql+nosuchdriver://x/y"], "invalid database URL"),
        (["crawl", "http://127.0.0.1:9/", "--db", "postgres://u@127.0.0.1/news"], "write postgresql+psycopg://"),
        (["crawl", "http://127.0.0.1:9/", "--db", "sqlite://"], "an in-memory database would vanish"),
        (["crawl", "http://127.0.0.1:9/", "-s", "NOEQUALS"], "-s expects NAME=VALUE"),
        (["crawl", "http://127.0.0.1:9/", "--max-pages", "many"], "not a whole number: 'many'"),
        (["crawl", "http://127.0.0.1:9/", "--max-pages", "-1"], "--max-pages: must be at least 1, not -1"),
        (["crawl", "http://127.0.0.1:9/", "--depth", "-1"], "--depth: must be at least 0, not -1"),
        (["crawl", "http://127.0.0.1:9/", "--allowed-domain", "not a domain"], "not a domain name: 'not a domain'"),
        (["crawl", "http://127.0.0.1:9/", "--language", "english"], "ISO 639-1 codes such as 'en', not 'english'"),
        (["crawl", "http://127.0.0.1:9/", "-s", "NEWS_LANGUAGES=en,german"], "NEWS_LANGUAGES: use ISO 639-1"),
        (["crawl", "http://127.0.0.1:9/", "--since", "last week"], "not a date or a window"),
        (["crawl", "http://127.0.0.1:9/", "-s", "DOWNLOAD_DELAY=-5"], "DOWNLOAD_DELAY must be zero or more, not '-5'"),
        (["crawl", "http://127.0.0.1:9/", "-s", "DOWNLOAD_DELAY=fast"], "DOWNLOAD_DELAY must be a number, not 'fast'"),
        (["crawl", "http://127.0.0.1:9/", "-s", "CONCURRENT_REQUESTS=0"], "CONCURRENT_REQUESTS must be at least 1"),
        (["crawl", "http://127.0.0.1:9/", "-s", "DOWNLOD_DELAY=2"], "DOWNLOD_DELAY: unknown setting (did you mean DOWNLOAD_DELAY?)"),
        (["crawl", "http://127.0.0.1:9/", "-s", "NEWS_EXTRACT_MIN_BODY_CHARS=250"],
         "NEWS_EXTRACT_MIN_BODY_CHARS: unknown setting (did you mean NEWS_EXTRACT_MIN_BODY_WORDS?)"),
        (["crawl", "http://127.0.0.1:9/", "-s", "NEWS_EXTRACT_TIMEOUT=0"], "NEWS_EXTRACT_TIMEOUT must be a number of seconds above 0, not '0'"),
        (["crawl", "http://127.0.0.1:9/", "-s", "NEWS_DEDUP_MEMORY=lots"], "NEWS_DEDUP_MEMORY must be a whole number, not 'lots'"),
        (["crawl", "http://127.0.0.1:9/", "-s", "NEWS_CHROME_ENABLED=maybe"], "NEWS_CHROME_ENABLED must be true or false, not 'maybe'"),
        (["worker", "--idle-timeout", "-3"], "--idle-timeout: must be more than 0"),
        (["schedule", "--every", "0"], "--every: must be more than 0"),
        (["search", "", "--db", "sqlite:///x.db"], "give at least one word"),
        (["search", "harbour", "--limit", "-1"], "--limit: must be at least 1, not -1"),
        (["duplicates", "--limit", "0"], "--limit: must be at least 1, not 0"),
        (["runs", "--limit", "0"], "--limit: must be at least 1, not 0"),
        (["runs", "show", "x"], "usage: newscrawl runs"),
        (["export", "--since", "someday"], "not a date or a window"),
        (["export", "--db", "sqlite:////nonexistent/dir/x.db"], "no newscrawl database at"),
        (["warc", "http://127.0.0.1:9/a.warc.gz"], "127.0.0.1 is a private address"),
        (["warc", "no-such-file.warc.gz"], "no such WARC file: no-such-file.warc.gz"),
        (["warc", "http://[::1/a.warc"], "not an http(s) URL"),
        (["warc", "x.warc", "--pattern", "("], "--pattern '('"),
        (["warc", "x.warc", "--domain", "a b"], "not a domain name: 'a b'"),
        (["serve", "--host", "0.0.0.0"], "--host 0.0.0.0 is reachable from other machines: give --token"),
        (["serve", "--port", "70000"], "--port must be at most 65535, not 70000"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In this process, for speed: every case is refused before a crawl could start, and a
    # traceback would fail the test as an exception.
    monkeypatch.chdir(tmp_path)
    try:
        status = main(args)
    except SystemExit as exc:
        status = int(exc.code or 0)
    captured = capsys.readouterr()
    assert message in one_error_line(subprocess.CompletedProcess(args, status, captured.out, captured.err))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option", ["--jobdir", "--warc-out"])
def test_a_folder_that_cannot_be_made_is_refused_up_front(option: str, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    line = one_error_line(newscrawl("crawl", "http://127.0.0.1:9/", option, str(blocker / "sub"),
                                    "--db", f"sqlite:///{tmp_path / 'x.db'}", "--allow-private-networks"))
    assert f"{option} {blocker / 'sub'}: cannot create it" in line


def test_no_command_shows_usage_and_version_is_known() -> None:
    bare = newscrawl()
    assert bare.returncode == 2 and bare.stderr.startswith("usage: newscrawl") and "crawl" in bare.stderr
    assert "exit status" in bare.stderr
    version = newscrawl("--version")
    assert version.returncode == 0 and re.fullmatch(r"newscrawl \d+\.\d+\.\d+\n", version.stdout)


def test_an_unreachable_start_url_is_one_line_and_status_3(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{refused_port()}/"
    result = newscrawl("crawl", url, "--db", f"sqlite:///{tmp_path / 'x.db'}", "-s", "RETRY_TIMES=0", *FAST,
                       "--log-level", "ERROR")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("newscrawl")]
    refused = f"{url}: Connection was refused by other side: 111: Connection refused."
    assert errors == [f"newscrawl: error: no start URL could be reached ({refused})"]


def test_a_start_url_that_answers_404_counts_as_unreached(fixture_site: str, tmp_path: Path) -> None:
    result = newscrawl("crawl", fixture_site + "no-such-page", "--db", f"sqlite:///{tmp_path / 'x.db'}", *FAST)
    assert result.returncode == 3
    assert f"no start URL could be reached ({fixture_site}no-such-page: HTTP status 404)" in result.stderr


def test_a_crawl_logs_no_startup_report_or_network_traceback_unless_verbose(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{refused_port()}/"
    args = ["crawl", url, "--db", f"sqlite:///{tmp_path / 'x.db'}", "-s", "RETRY_TIMES=0",
            "-s", "NEWS_ALLOW_PRIVATE_NETWORKS=True", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
    quiet = newscrawl(*args)
    assert "Overridden settings" not in quiet.stderr and "Enabled downloader middlewares" not in quiet.stderr
    assert "Traceback" not in quiet.stderr
    assert "Connection was refused" in quiet.stderr
    verbose = newscrawl(*args, "-v")
    assert "Overridden settings" in verbose.stderr and "Traceback" in verbose.stderr


def test_max_pages_caps_the_pages_fetched(demo_site: str, tmp_path: Path) -> None:
    result = newscrawl("crawl", demo_site, "--max-pages", "10", "--db", f"sqlite:///{tmp_path / 'x.db'}", *FAST)
    assert result.returncode == 0, result.stderr
    fetched = int(re.search(r"pages fetched:\s+(\d+)", result.stdout).group(1))
    assert fetched == 10
    assert "finish reason:      closespider_pagecount" in result.stdout


def test_warc_over_http_a_missing_archive_is_one_line_and_status_3(fixture_site: str, tmp_path: Path) -> None:
    result = newscrawl("warc", fixture_site + "missing.warc.gz", "--allow-private-networks",
                       "--db", f"sqlite:///{tmp_path / 'x.db'}", "--log-level", "CRITICAL")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"newscrawl: error: no start URL could be reached ({fixture_site}missing.warc.gz: HTTP status 404)"
    ]


def test_export_into_a_closed_pipe_ends_quietly_and_a_full_disk_is_named(stored_db: Path) -> None:
    db = f"sqlite:///{stored_db}"
    with subprocess.Popen([sys.executable, "-m", "crawler", "export", "--db", db], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read(100).startswith(b'{"id": 1')
        process.stdout.close()
        assert process.wait(timeout=60) == 0
        assert process.stderr.read() == b""
    if Path("/dev/full").exists():
        line = one_error_line(newscrawl("export", "--db", db, "-o", "/dev/full"))
        assert line == "newscrawl: error: cannot write /dev/full: No space left on device"


def test_export_since_takes_a_window_as_crawl_does(stored_db: Path) -> None:
    db = f"sqlite:///{stored_db}"
    everything = newscrawl("export", "--db", db).stdout.splitlines()
    recent = newscrawl("export", "--db", db, "--since", "36500d")
    assert recent.returncode == 0 and recent.stdout.splitlines() == everything
    assert newscrawl("export", "--db", db, "--since", "1m").stdout == ""


def test_ctrl_c_on_schedule_is_interrupted_status_1(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[sources.quiet]\nstart_urls = ["http://127.0.0.1:9/"]\nschedule = "1w"\n')
    db = tmp_path / "x.db"
    # Ctrl-C as at a terminal, even when the suite runs in the background of a script, whose
    # shell starts it with SIGINT ignored (which Python, like any program, then keeps).
    interruptible = "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); " \
                    "from crawler.__main__ import main; sys.exit(main())"
    process = subprocess.Popen(
        [sys.executable, "-c", interruptible, "schedule", "--sources", str(sources), "--db", f"sqlite:///{db}",
         "--every", "60", "-s", "NEWS_RUN_STALE_HOURS=1000"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    with process:
        assert process.stdout is not None and process.stderr is not None
        assert "quiet: due, crawling" in process.stdout.readline()
        time.sleep(1)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 1
        errors = process.stderr.read()
    assert "Traceback" not in errors
    assert "newscrawl: interrupted" in errors


def test_sources_check_refuses_what_crawl_would(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[sources.a]\nstart_urls = ["https://a.example/"]\nlanguage = "english"\n'
        'settings = { DOWNLOAD_DELAY = "fast", CONCURENT_REQUESTS = 2 }\n'
        '[stray]\nx = 1\n'
    )
    result = newscrawl("sources", "check", str(sources))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{sources}: [stray]: unknown table" in result.stderr
    assert f"{sources}: source 'a': language: use ISO 639-1 codes such as 'en', not 'english'" in result.stderr
    assert f"{sources}: source 'a': settings.DOWNLOAD_DELAY must be a number, not 'fast'" in result.stderr
    assert "settings.CONCURENT_REQUESTS: unknown setting (did you mean CONCURRENT_REQUESTS?)" in result.stderr
    crawl = newscrawl("crawl", "--source", "a", "--sources", str(sources), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert crawl.returncode == 2 and not (tmp_path / "x.db").exists()


def test_sources_list_writes_windows_as_the_file_does(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[sources.a]\nstart_urls = ["https://a.example/"]\nsince = "30d"\nschedule = "6h"\n'
                       '[sources.b]\nstart_urls = ["https://b.example/"]\nsince = "2w"\nschedule = "0 */6 * * *"\n')
    listed = newscrawl("sources", "list", str(sources)).stdout.splitlines()
    assert "since 30d; every 6h;" in listed[0]
    assert "since 2w; every 0 */6 * * *;" in listed[1]


def _readme_rows() -> dict[str, str]:
    """The README's command table: each command's rows joined, by command name."""
    rows: dict[str, str] = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        match = re.match(r"\| `newscrawl (\w+)", line)
        if match:
            rows[match.group(1)] = rows.get(match.group(1), "") + line
    return rows


def test_the_readme_command_table_lists_every_command_and_option() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    rows = _readme_rows()
    assert set(rows) == set(subparsers)
    for name, subparser in subparsers.items():
        for action in subparser._actions:
            if not action.option_strings or "--help" in action.option_strings:
                continue
            assert any(re.search(rf"(?<![\w-]){re.escape(option)}\b", rows[name]) for option in action.option_strings), (
                f"README: `newscrawl {name}` lacks {action.option_strings[-1]}")
        synopses = " ".join(cell.split("` |")[0] for cell in rows[name].split("| `newscrawl ")[1:])
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", synopses):
            known = {s for a in subparser._actions for s in a.option_strings}
            assert option in known, f"README: `newscrawl {name}` has no option {option}"


def test_the_readme_says_which_columns_export_writes() -> None:
    from crawler.storage import ARTICLE_FIELDS as EXPORT_FIELDS
    from crawler.storage import Article

    columns = [column.name for column in Article.__table__.columns]
    left_out = [name for name in columns if name not in EXPORT_FIELDS]
    row = _readme_rows()["export"]
    assert f"{len(EXPORT_FIELDS)} of the {len(columns)} columns of `articles`" in row
    assert re.findall(r"`(\w+)`", row.split("all but ", 1)[1].split(", the story", 1)[0]) == left_out
