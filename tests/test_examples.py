"""The user CI recipes in examples/github-actions/ pass actionlint, and the completion script is there."""

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from authoring.cli import app
from tests.conftest import ROOT

WORKFLOWS = ROOT / "examples" / "github-actions"
# The test extra installs the binary next to this interpreter; a missing one fails the suite, never skips it.
ACTIONLINT = Path(sys.executable).parent / "actionlint"


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    assert ACTIONLINT.is_file(), f"{ACTIONLINT} is missing: install the test extra (pip install -e '.[test]')"
    return subprocess.run([str(ACTIONLINT), "-no-color", *map(str, files)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


@pytest.mark.parametrize("name", ["daily.yml", "replay.yml"])
def test_example_workflows_pass_actionlint(name):
    result = actionlint(WORKFLOWS / name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_does_fail_on_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    text = (WORKFLOWS / "daily.yml").read_text()
    text = text.replace("runs-on: ubuntu-latest", "runs-on: ubuntu-latest\n    stpes: []")
    broken.write_text(text.replace("${{ secrets.OPENAI_API_KEY }}", "${{ secret.OPENAI_API_KEY }}"))
    result = actionlint(broken)
    assert result.returncode == 1 and "stpes" in result.stdout and "secret" in result.stdout


def test_the_recipes_run_what_the_readme_promises():
    daily = (WORKFLOWS / "daily.yml").read_text()
    replay = (WORKFLOWS / "replay.yml").read_text()
    assert "cron:" in daily and "digest new today --from-hf" in daily and "digest check today --fail-on error" in daily
    assert "secrets.OPENAI_API_KEY" in daily and "git add output/" in daily
    assert daily.index("git add output/") < daily.index("digest check today")  # a day failing the gate is kept
    assert "digest site" in daily and "actions/deploy-pages" in daily
    assert "pull_request:" in replay and "--cassette" in replay and "digest render --all" in replay
    assert "git diff --exit-code -- output/" in replay and "digest check" in replay
    assert "OPENAI_API_KEY" not in replay  # replays need no key


def test_a_day_with_failed_papers_is_still_committed_and_the_job_still_fails():
    import yaml

    steps = yaml.safe_load((WORKFLOWS / "daily.yml").read_text())["jobs"]["digest"]["steps"]
    names = [step.get("id") or step.get("name", "") for step in steps]
    write = next(step for step in steps if step.get("id") == "write")
    assert "digest new today" in write["run"] and write.get("continue-on-error") is True
    commit = next(n for n, step in enumerate(steps) if "git add output/" in step.get("run", ""))
    assert "if" not in steps[commit] and commit > names.index("write")  # runs whatever the write step did
    fail = next(n for n, step in enumerate(steps) if step.get("if") == "steps.write.outcome == 'failure'")
    assert fail > commit and "exit 1" in steps[fail]["run"]


def test_show_completion_prints_a_bash_completion_script():
    result = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="digest")
    assert result.exit_code == 0, result.output
    assert "_DIGEST_COMPLETE=complete_bash" in result.stdout
    assert "complete -o default -F _digest_completion digest" in result.stdout
