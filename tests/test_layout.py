"""The package's shape, as docs/architecture.md describes it: components grouped by kind, a
Scrapy-free extraction library, a packaging list that matches the tree, and a Python API whose
documented examples run from a plain install."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import ROOT

CODE = ("crawler", "spiders", "pipelines")


def python_files(folder: str) -> list[Path]:
    return [p for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts]


def test_importing_extraction_loads_no_crawling_machinery() -> None:
    script = ("import sys, crawler.extraction; "
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'sqlalchemy'}))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


def test_few_loose_modules_and_none_too_long() -> None:
    loose = sorted(p.name for p in (ROOT / "crawler").glob("*.py"))
    assert len(loose) <= 12, loose
    long = {str(p.relative_to(ROOT)): n for folder in CODE for p in python_files(folder)
            if (n := len(p.read_text().splitlines())) > 500}
    assert long == {}


def test_every_package_is_packaged() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for folder in CODE for p in python_files(folder)}
    assert listed == on_disk


def test_the_api_examples_run_from_a_plain_install(tmp_path: Path) -> None:
    # A copy without what a working tree accumulates (a virtual environment, an old build/ that
    # setuptools would package).
    source = tmp_path / "newscrawl"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".hypothesis", ".pytest_cache", "*.db"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-c", str(source / "requirements.lock"), str(source)], check=True, capture_output=True)
    examples = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "api.md").read_text(), re.DOTALL)
    assert len(examples) == 2
    outputs = []
    for number, code in enumerate(examples):
        script = tmp_path / f"example{number}.py"
        script.write_text(code)
        result = subprocess.run([str(python), str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                                check=False)
        assert result.returncode == 0, result.stderr[-3000:]
        outputs.append(result.stdout)
    extracted, crawled = outputs
    assert extracted.splitlines() == [
        "Harbour ferries return after the winter pause",
        "['Ada Lindqvist'] 2026-11-30 08:00:00+00:00",
        "3 paragraphs",
        "not an article: no_text PageKind(kind='listing', reason='no_text')",
    ]
    assert crawled.startswith("33 articles stored\n")
    assert "2026-10-19 Two Dairy Cooperatives Agree Merger to Form Largest Producer in Estrava" in crawled
    assert (tmp_path / "api-demo.db").exists()
