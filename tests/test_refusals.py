"""Failures no paper can escape stop the run at once: one `Error:` line naming the cause and what to do, no further
calls (a prompt template that does not render; an exhausted quota; a parameter the model rejects)."""

from tests.test_cli import run
from tests.test_resilience import ok, paper
from tools.standin import StandIn

IDS = [f"2410.{n:05d}" for n in range(1, 10)]


def _new(stand_in, tmp_path, *extra):
    return run("new", "2024-10-08", *IDS, "--base-url", f"{stand_in.url}/v1", "--output-dir", str(tmp_path / "out"),
               "--concurrency", "2", *extra, env={"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"})


def _lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def test_a_prompt_template_that_does_not_render_stops_the_run_before_any_model_call(tmp_path):
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "user.j2").write_text("Summarise {{ paper.title | data }} by {{ paper.venue }}.\n")
    with StandIn({i: paper(i) for i in IDS}, chat=ok) as stand_in:
        result = _new(stand_in, tmp_path, "--prompts", str(prompts), "--quiet")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert stand_in.requests("POST") == []
    lines = _lines(result)
    assert len(lines) <= 3, result.output
    assert lines[-1].startswith("Error: prompt template user.j2: ") and "'venue'" in lines[-1]
    assert "Failed:" not in result.output  # not paper by paper
