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


def _pin() -> str:
    """`uses:` of digest's own action at this release: the repository of [project.urls] and the tag v<version>."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    repository = project["urls"]["Repository"].removeprefix("https://github.com/")
    return f"{repository}@v{project['version']}"


def test_the_recipes_install_through_the_action_pinned_to_this_release():
    import yaml

    from authoring import __version__

    pin = _pin()
    assert pin.endswith(f"@v{__version__}")
    for name in ("daily.yml", "replay.yml"):
        text = (WORKFLOWS / name).read_text()
        assert f"uses: {pin}\n" in text and "repository_owner }}/digest" not in text and "pipx" not in text
    readme = (ROOT / "README.md").read_text()
    assert f"uses: {pin}" in readme and "github.com/OWNER" not in readme
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    install = action["runs"]["steps"][-1]["run"]
    assert 'pip install --disable-pip-version-check --quiet "$GITHUB_ACTION_PATH"' in install


def test_a_day_with_failed_papers_is_still_committed_and_the_job_still_fails():
    import yaml

    steps = yaml.safe_load((WORKFLOWS / "daily.yml").read_text())["jobs"]["digest"]["steps"]
    names = [step.get("id") or step.get("name", "") for step in steps]
    write = next(step for step in steps if step.get("id") == "write")
    assert "digest new \"$day\" --from-hf" in write["run"] and write.get("continue-on-error") is True
    commit = next(n for n, step in enumerate(steps) if "git add -- \"$path\"" in step.get("run", ""))
    assert "if" not in steps[commit] and commit > names.index("write")  # runs whatever the write step did
    fail = next(n for n, step in enumerate(steps) if step.get("if") == "steps.write.outcome == 'failure'")
    assert fail > commit and "exit 1" in steps[fail]["run"]
    check = next(n for n, step in enumerate(steps) if "digest check" in step.get("run", ""))
    assert check > fail  # a day failing the gate is still kept


def test_show_completion_prints_a_bash_completion_script(monkeypatch):
    """Independent of the shell the tests run under (or none: setsid, a container's init): typer's own switch
    makes --show-completion take the shell as its value instead of detecting the parent process's."""
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    monkeypatch.setattr("shellingham.detect_shell", _no_shell)
    result = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="digest")
    assert result.exit_code == 0, result.output
    assert "_DIGEST_COMPLETE=complete_bash" in result.stdout
    assert "complete -o default -F _digest_completion digest" in result.stdout


def _no_shell(*args, **kwargs):
    import shellingham

    raise shellingham.ShellDetectionFailure("no parent shell")
