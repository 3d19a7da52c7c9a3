"""Failures no paper can escape stop the run at once: one `Error:` line naming the cause and what to do, no further
calls (a prompt template that does not render; an exhausted quota; a parameter the model rejects)."""

from tests.helpers import ok, paper, run
from tools.standin import Reply, StandIn

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


QUOTA = (b'{"error": {"message": "You exceeded your current quota, please check your plan and billing details.", '
         b'"type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}')
TEMPERATURE = (b'{"error": {"message": "Unsupported value: \'temperature\' does not support 0.2 with this model. Only '
               b'the default (1) value is supported.", "type": "invalid_request_error", "param": "temperature", '
               b'"code": "unsupported_value"}}')


def test_an_exhausted_quota_stops_the_run_after_at_most_concurrency_plus_one_calls(tmp_path):
    with StandIn({i: paper(i) for i in IDS}, chat=lambda body: Reply(429, QUOTA)) as stand_in:
        result = _new(stand_in, tmp_path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(stand_in.requests("POST")) <= 2 + 1
    lines = _lines(result)
    assert len(lines) <= 3, result.output
    assert lines[-1].startswith(f"Error: {stand_in.url}/v1 refused the call: the account's quota is exhausted (HTTP "
                                "429 insufficient_quota); add credit or raise the limit in the account's billing "
                                "settings; 0 finished papers are saved and 9 are pending"), lines[-1]
    assert "Failed:" not in result.output


def test_a_rejected_parameter_stops_the_run_and_says_to_drop_it(tmp_path):
    with StandIn({i: paper(i) for i in IDS}, chat=lambda body: Reply(400, TEMPERATURE)) as stand_in:
        result = _new(stand_in, tmp_path, "--temperature", "0.2")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(stand_in.requests("POST")) <= 2 + 1
    lines = _lines(result)
    assert len(lines) <= 3, result.output
    assert lines[-1].startswith(f"Error: {stand_in.url}/v1 rejected the parameter 'temperature' for model "
                                "'gpt-5-mini' (HTTP 400): Unsupported value: 'temperature' does not support 0.2 with "
                                "this model. Only the default (1) value is supported; drop --temperature (this model "
                                "accepts only its default); "), lines[-1]
    assert "Failed:" not in result.output


def test_a_400_about_one_papers_messages_still_fails_that_paper_only(tmp_path):
    too_long = (b'{"error": {"message": "This model\'s maximum context length is 128000 tokens.", "type": '
                b'"invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}')

    def chat(body):
        return Reply(400, too_long) if "2410.00003" in body["messages"][-1]["content"] else ok(body)

    with StandIn({i: paper(i) for i in IDS}, chat=chat) as stand_in:
        result = _new(stand_in, tmp_path, "--quiet")
    assert result.exit_code == 1 and "1 of 9 papers failed" in result.stderr
    assert len(stand_in.requests("POST")) == 9
