"""The documentation stays true: its generated pages match the code, every command and finding kind is documented,
the README stays a front door, and `mkdocs build --strict` passes (broken links, missing pages and snippets fail)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT))
from tools import docs_reference  # noqa: E402

DOCS = ROOT / "docs"
FIX = f"run `{docs_reference.UPDATE_COMMAND}` (python tools/docs_reference.py) and commit docs/reference/"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    docs_reference.write(out)
    return out


@pytest.mark.parametrize("name", docs_reference.GENERATED)
def test_generated_reference_is_current(generated, name):
    committed = docs_reference.REFERENCE / name
    assert committed.is_file(), f"docs/reference/{name} is missing: {FIX}"
    assert committed.read_text(encoding="utf-8") == (generated / name).read_text(encoding="utf-8"), (
        f"docs/reference/{name} is out of date with the code: {FIX}"
    )


def test_cli_reference_names_every_command_digest_help_lists():
    import typer.main

    from authoring.cli import app

    def commands(group, prefix="digest"):
        for name, command in getattr(group, "commands", {}).items():
            yield f"{prefix} {name}"
            yield from commands(command, f"{prefix} {name}")

    page = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    missing = [name for name in commands(typer.main.get_command(app)) if f"`{name}`" not in page]
    assert not missing, f"docs/reference/cli.md lacks {missing}: {FIX}"


def test_every_finding_kind_is_documented():
    from authoring.checks.findings import KINDS

    page = (DOCS / "reference" / "findings.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^## `([a-z]+)`", page, re.MULTILINE))
    assert set(KINDS) <= headings, f"docs/reference/findings.md lacks a section for {sorted(set(KINDS) - headings)}"
    assert headings <= set(KINDS), f"docs/reference/findings.md documents unknown kinds {sorted(headings - set(KINDS))}"


def test_every_page_in_docs_is_in_the_nav():
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")} - {"reference/settings-table.md"}
    missing = sorted(page for page in pages if f": {page}" not in config)
    assert not missing, f"pages not in mkdocs.yml's nav: {missing}"


def test_readme_is_a_front_door():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150
    for command in ("make demo", "make test", "digest new today --from-hf"):
        assert command in readme


def test_mkdocs_build_strict(tmp_path):
    mkdocs = shutil.which("mkdocs", path=os.path.dirname(sys.executable)) or shutil.which("mkdocs")
    if mkdocs is None:
        if os.environ.get("CI"):
            pytest.fail("mkdocs is not installed; `make test` installs the docs extra (pip install -e '.[test,docs]')")
        pytest.skip("mkdocs is not installed (pip install -e '.[docs]'); CI installs it through `make test`")
    result = subprocess.run(
        [mkdocs, "build", "--strict", "--quiet", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    assert (tmp_path / "site" / "reference" / "cli" / "index.html").is_file()
