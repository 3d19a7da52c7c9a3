"""Runs a GitHub Actions workflow's `run:` steps with bash, as a runner does, in a local git repository.

`uses:` steps are stood in for: `actions/checkout` (the repository is already there), digest's own action (a
`digest` first on PATH that runs this checkout's code, so the code under test is what runs) and anything else
(skipped). The `${{ }}` expressions the recipes use are filled in (any other fails the test), `if:` and
`continue-on-error` decide as on GitHub (a step runs only while no earlier step failed, unless the job continued
past it), and GITHUB_ENV carries variables to later steps."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DIGEST_ACTION = re.compile(r"^[\w.-]+/digest@v\d+\.\d+\.\d+$")


@dataclass
class Step:
    name: str
    outcome: str  # success, failure or skipped
    stdout: str = ""
    stderr: str = ""


@dataclass
class Job:
    steps: list[Step] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(s.outcome == "failure" for s in self.steps)

    def step(self, fragment: str) -> Step:
        return next(s for s in self.steps if fragment in s.name)

    @property
    def output(self) -> str:
        return "".join(s.stdout + s.stderr for s in self.steps)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def digests_repository(tmp: Path, gitignore: str) -> tuple[Path, Path]:
    """A digests repository (main, with a .gitignore) and the bare remote its workflow pushes to."""
    remote, repo = tmp / "remote.git", tmp / "repo"
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(remote)], check=True)
    subprocess.run(["git", "clone", "--quiet", str(remote), str(repo)], check=True, capture_output=True)
    (repo / ".gitignore").write_text(gitignore)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "--allow-empty", "-m",
        "start")
    git(repo, "add", ".gitignore")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "-m", ".gitignore")
    git(repo, "push", "--quiet", "-u", "origin", "main")
    return repo, remote


def clone(remote: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", str(remote), str(where)], check=True, capture_output=True)
    return where


class Runner:
    """Runs jobs of a workflow file with `env` (the runner's environment: stand-in addresses...) and `contexts`
    (values of `${{ secrets.X }}`, `${{ github.X }}`)."""

    def __init__(self, tmp: Path, env: dict[str, str], contexts: dict[str, str]):
        self.tmp, self.contexts = tmp, contexts
        shims = tmp / "bin"
        shims.mkdir(exist_ok=True)
        shim = shims / "digest"
        shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m authoring "$@"\n')
        shim.chmod(0o755)
        (tmp / "home").mkdir(exist_ok=True)
        self.env = {"PATH": f"{shims}:{os.environ['PATH']}", "HOME": str(tmp / "home"), "LANG": "C.UTF-8",
                    "GIT_CONFIG_NOSYSTEM": "1", **env}
        self.runs = 0

    def run(self, workflow: Path, job: str, repo: Path, env: dict[str, str] | None = None) -> Job:
        spec = yaml.safe_load(workflow.read_text())["jobs"][job]
        self.runs += 1
        temp = self.tmp / f"runner-temp-{self.runs}"
        temp.mkdir()
        github_env = temp / "github_env"
        github_env.touch()
        job_env = {**self.env, "RUNNER_TEMP": str(temp), "GITHUB_ENV": str(github_env),
                   **{k: self._fill(str(v)) for k, v in (spec.get("env") or {}).items()}, **(env or {})}
        result, outcomes, failed = Job(), {}, False
        for number, spec_step in enumerate(spec["steps"]):
            name = spec_step.get("name") or spec_step.get("uses") or f"step {number}"
            if not self._should_run(spec_step.get("if"), outcomes, failed):
                result.steps.append(Step(name, "skipped"))
                continue
            if "uses" in spec_step:
                self._stand_in_for(spec_step["uses"])
                result.steps.append(Step(name, "success"))
                continue
            step_env = {**job_env, **_read_env_file(github_env),
                        **{k: self._fill(str(v)) for k, v in (spec_step.get("env") or {}).items()}}
            script = temp / f"step-{number}.sh"
            script.write_text(self._fill(spec_step["run"]))
            done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=repo,
                                  env=step_env, capture_output=True, text=True, timeout=300)
            outcome = "success" if done.returncode == 0 else "failure"
            result.steps.append(Step(name, outcome, done.stdout, done.stderr))
            if "id" in spec_step:
                outcomes[spec_step["id"]] = outcome
            if outcome == "failure" and not spec_step.get("continue-on-error"):
                failed = True
        return result

    def _fill(self, text: str) -> str:
        def value(match: re.Match) -> str:
            expression = match.group(1).strip()
            if expression not in self.contexts:
                raise AssertionError(f"the workflow harness does not know ${{{{ {expression} }}}}")
            return self.contexts[expression]

        return re.sub(r"\$\{\{(.*?)\}\}", value, text)

    @staticmethod
    def _should_run(condition: str | None, outcomes: dict[str, str], failed: bool) -> bool:
        if condition is None:
            return not failed
        match = re.fullmatch(r"steps\.([\w-]+)\.outcome == '(\w+)'", condition.strip())
        if match is None:
            raise AssertionError(f"the workflow harness cannot evaluate `if: {condition}`")
        return not failed and outcomes.get(match.group(1)) == match.group(2)

    @staticmethod
    def _stand_in_for(uses: str) -> None:
        if uses.startswith("actions/"):
            return  # checkout (the repository is there), upload-pages-artifact and the like
        if not DIGEST_ACTION.match(uses):
            raise AssertionError(f"the workflow harness cannot stand in for `uses: {uses}`")
        # digest's action: the `digest` shim first on PATH runs this checkout's code


def _read_env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key: value for key, value in pairs}
