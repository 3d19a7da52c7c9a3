"""The day store's promises: nothing a person wrote is lost when commands run at once (processes, not threads),
when a process dies at any write, or when undo, render and import meet a hand-edited DATE.md; status is true."""

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from authoring.config import Settings
from authoring.models import Digest
from authoring.runs import pipeline
from authoring.store import days
from tests.conftest import FAKE_KEY, ROOT
from tests.helpers import assert_one_line_error, clock, local, ok, paper, run
from tools.assemble_cassettes import seed_golden_day
from tools.standin import StandIn

DAY = "2024-10-08"
D = date(2024, 10, 8)
IDS = ["2410.00001", "2410.00002", "2410.00003"]

# Each save of DATE.json waits half a second before its rename: without the day's lock, commands started together
# would all read the same day meanwhile and the last rename would drop the others' changes. (Slowed at os.replace,
# which every atomic write goes through, not at a function of ours a refactor could route around.)
_SLOW_SAVES = """
import os, sys, time
real = os.replace
def slow(src, dst, *args, **kwargs):
    if str(dst).endswith(".json") and "/.history/" not in str(dst):
        time.sleep(0.5)
    return real(src, dst, *args, **kwargs)
os.replace = slow
from authoring.cli import app
app(sys.argv[1:])
"""


def cli(out: Path, *args, **kwargs):
    return run(*args, "--output-dir", str(out), **kwargs)


def day_json(out: Path) -> dict:
    return json.loads((out / f"{DAY}.json").read_text(encoding="utf-8"))


def md(out: Path) -> str:
    return (out / f"{DAY}.md").read_text(encoding="utf-8")


def background(stand_in, out: Path, *args, env: dict | None = None, slow_saves: bool = False) -> subprocess.Popen:
    """`digest ARGS` as its own process against the stand-in (with every save of DATE.json slowed down)."""
    environ = {**os.environ, "OPENAI_API_KEY": FAKE_KEY, "DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query",
               **(env or {})}
    program = ["-c", _SLOW_SAVES] if slow_saves else ["-m", "authoring"]
    command = [sys.executable, *program, *args, "--base-url", f"{stand_in.url}/v1", "--output-dir", str(out)]
    return subprocess.Popen(command, cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


def slow_chat(delay: float, summary: dict | None = None):
    def chat(body):
        reply = ok(body, delay=delay)
        if summary is not None:
            from tools.standin import Reply, chat_completion

            reply = Reply(200, chat_completion(json.dumps(summary), model=body["model"], created=1728345600,
                                               usage=(10, 5)), delay=delay)
        return reply
    return chat


@pytest.fixture
def papers():
    return {i: paper(i) for i in [*IDS, "2410.00004", "2410.00005"]}


@pytest.fixture
def day3(settings, papers):
    """A finished day of three papers, made through the real pipeline against a stand-in."""
    with StandIn(papers, chat=ok) as stand_in:
        pipeline.create_digest(D, IDS, local(settings, stand_in), clock=clock)
    return settings.output_dir


# --------------------------------------------------------------------------------------------- concurrency
def test_two_concurrent_adds_keep_both_papers(day3, papers):
    with StandIn(papers, chat=slow_chat(1.0)) as stand_in:
        first = background(stand_in, day3, "add", DAY, "2410.00004", slow_saves=True)
        second = background(stand_in, day3, "add", DAY, "2410.00005", slow_saves=True)
        results = [p.communicate(timeout=60) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, results
    ids = [e["id"] for e in day_json(day3)["entries"]]
    assert sorted(ids) == sorted([*IDS, "2410.00004", "2410.00005"])
    assert "2410.00004" in md(day3) and "2410.00005" in md(day3)
    assert cli(day3, "list").stdout.count("in sync") == 1


def test_a_set_during_a_regen_of_other_entries_survives(day3, papers):
    new_summary = {"objective": "Regenerated.", "method": "M.", "result": "R: 43%.", "implication": "I.",
                   "questions": ["Q1?", "Q2?"]}
    with StandIn(papers, chat=slow_chat(1.5, new_summary)) as stand_in:
        regen = background(stand_in, day3, "regen", DAY, IDS[0], IDS[2])
        wait_for(lambda: len(stand_in.requests("POST")) >= 2)  # the regen is waiting for the model
        result = cli(day3, "set", DAY, IDS[1], "title", "A title typed by hand")
        assert result.exit_code == 0, result.output
        _, stderr = regen.communicate(timeout=60)
    assert regen.returncode == 0, stderr
    entries = {e["id"]: e for e in day_json(day3)["entries"]}
    assert entries[IDS[1]]["paper"]["title"] == "A title typed by hand"
    assert entries[IDS[0]]["summary"]["objective"] == "Regenerated."
    assert entries[IDS[2]]["summary"]["objective"] == "Regenerated."
    assert "A title typed by hand" in md(day3) and md(day3).count("Regenerated.") == 2
    assert "in sync" in cli(day3, "list").stdout


def test_a_change_made_after_a_runs_result_landed_is_a_later_change_not_a_conflict(day3, papers):
    """regen of two entries, one at a time: once the first result is journaled, `show` folds it into the day and a
    person sets that entry; the result had landed, so the run reports no conflict and names no kept file."""
    new_summary = {"objective": "From the run.", "method": "M.", "result": "R: 43%.", "implication": "I.",
                   "questions": ["Q1?", "Q2?"]}
    journal = day3 / ".journal" / f"{DAY}.jsonl"
    with StandIn(papers, chat=slow_chat(1.0, new_summary)) as stand_in:
        regen = background(stand_in, day3, "regen", DAY, IDS[0], IDS[1], "--concurrency", "1")
        wait_for(lambda: journal.exists() and IDS[0] in journal.read_text())
        assert cli(day3, "show", DAY).exit_code == 0  # folds the journal: the result lands
        assert cli(day3, "set", DAY, IDS[0], "objective", "Typed by a person.").exit_code == 0
        _, stderr = regen.communicate(timeout=60)
    assert regen.returncode == 0, stderr
    assert "not applied" not in stderr and "kept/conflict" not in stderr
    entries = {e["id"]: e for e in day_json(day3)["entries"]}
    assert entries[IDS[0]]["summary"]["objective"] == "Typed by a person."
    assert entries[IDS[1]]["summary"]["objective"] == "From the run."
    assert cli(day3, "undo", DAY).exit_code == 0  # changes walk back in the order they landed: the run's last ...
    assert day_json(day3)["entries"][1]["summary"]["objective"] != "From the run."
    assert cli(day3, "undo", DAY).exit_code == 0  # ... then the person's set, after the run's first result
    assert day_json(day3)["entries"][0]["summary"]["objective"] == "From the run."


def test_a_persons_change_to_the_entry_being_regenerated_wins_and_the_run_summary_is_kept(day3, papers):
    new_summary = {"objective": "From the run.", "method": "M.", "result": "R: 43%.", "implication": "I.",
                   "questions": ["Q1?", "Q2?"]}
    with StandIn(papers, chat=slow_chat(1.5, new_summary)) as stand_in:
        regen = background(stand_in, day3, "regen", DAY, IDS[0], "--json")
        wait_for(lambda: len(stand_in.requests("POST")) >= 1)
        assert cli(day3, "set", DAY, IDS[0], "objective", "Typed by a person.").exit_code == 0
        stdout, stderr = regen.communicate(timeout=60)
    assert regen.returncode == 1
    assert "1 result of this run was not applied: another command changed or removed that entry" in stderr
    entry = day_json(day3)["entries"][0]
    assert entry["summary"]["objective"] == "Typed by a person." and entry["provenance"]["edited"]
    assert "changed or removed by another command during the run" in stderr
    kept = Path(json.loads(stdout)["conflicts"][IDS[0]])
    assert kept.is_file() and json.loads(kept.read_text())["summary"]["objective"] == "From the run."


def test_a_second_command_waits_for_the_lock_then_names_its_holder(day3):
    holder = (
        "import sys, time\nfrom datetime import date\nfrom pathlib import Path\n"
        "from authoring.store import days\nfrom authoring.config import Settings\n"
        f"with days.locked(Settings(output_dir=Path({str(day3)!r})), date(2024, 10, 8), 'regen'):\n"
        "    print('locked', flush=True)\n    time.sleep(float(sys.argv[1]))\n"
    )
    process = subprocess.Popen([sys.executable, "-c", holder, "30"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "locked"
        before = (day3 / f"{DAY}.json").read_bytes()
        result = cli(day3, "rm", DAY, IDS[0], env={"DIGEST_LOCK_TIMEOUT": "0.3"})
        assert "Waiting for 2024-10-08: `digest regen` (pid" in result.stderr
        assert_one_line_error(result, "2024-10-08 is locked by `digest regen` (pid", "still busy after 0.3 s")
        assert (day3 / f"{DAY}.json").read_bytes() == before
    finally:
        process.kill()
        process.wait()
    # a holder that goes away lets the waiting command through
    process = subprocess.Popen([sys.executable, "-c", holder, "0.5"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    result = cli(day3, "rm", DAY, IDS[0], env={"DIGEST_LOCK_TIMEOUT": "20"})
    process.wait()
    assert result.exit_code == 0 and "Waiting for 2024-10-08" in result.stderr
    assert [e["id"] for e in day_json(day3)["entries"]] == IDS[1:]


def test_concurrent_sets_on_different_entries_all_land(day3):
    processes = [subprocess.Popen([sys.executable, "-c", _SLOW_SAVES, "set", DAY, i, "title", f"Title {n}",
                                   "--output-dir", str(day3)], cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for n, i in enumerate(IDS)]
    outcomes = [p.communicate(timeout=60) for p in processes]
    assert all(p.returncode == 0 for p in processes), outcomes
    titles = [e["paper"]["title"] for e in day_json(day3)["entries"]]
    assert titles == ["Title 0", "Title 1", "Title 2"]
    assert all(f"Title {n} (Read more" in md(day3) for n in range(3))


# ------------------------------------------------------------------------------------ hand edits and undo
def test_undo_refuses_over_a_hand_edited_markdown_and_force_keeps_the_edit(tmp_path):
    out = tmp_path / "output"
    seed_golden_day(out)
    assert cli(out, "rm", DAY, "2410.05258").exit_code == 0
    edited = md(out).replace("| Title |", "| My Title |")
    (out / f"{DAY}.md").write_text(edited, encoding="utf-8")
    result = cli(out, "undo", DAY)
    assert_one_line_error(result, "was edited by hand", "digest import", "--force", "digest undo 2024-10-08 --force")
    assert md(out) == edited  # untouched
    result = cli(out, "undo", DAY, "--force")
    assert result.exit_code == 0 and "kept in" in result.stderr
    kept = list((out / ".history" / DAY / "kept").glob("edited-before-undo-*.md"))
    assert [p.read_text() for p in kept] == [edited]
    assert len(day_json(out)["entries"]) == 15


def test_render_and_import_refuse_the_same_way_as_undo(tmp_path):
    out = tmp_path / "output"
    seed_golden_day(out)
    (out / f"{DAY}.md").write_text(md(out).replace("Differential", "Diff"), encoding="utf-8")
    for args in (["render", DAY], ["rm", DAY, "2410.05258"], ["set", DAY, "2410.05258", "title", "T"]):
        assert_one_line_error(cli(out, *args), "was edited by hand", f"digest import {out / DAY}.md --force")


def test_new_force_keeps_the_old_day_for_undo_even_when_it_is_not_utf8(settings, papers):
    out = settings.output_dir
    out.mkdir(parents=True)
    garbage = b"\xff\xfe not a digest \x80"
    (out / f"{DAY}.json").write_bytes(garbage)
    with StandIn(papers, chat=ok) as stand_in:
        process = background(stand_in, out, "new", DAY, *IDS, "--force")
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert len(day_json(out)["entries"]) == 3
    # the old day is kept byte for byte; undo names it rather than put an unreadable day over a readable one
    assert (out / ".history" / DAY / "0001-new.json").read_bytes() == garbage
    assert_one_line_error(cli(out, "undo", DAY), "the day before `digest new` cannot be restored",
                          f"{out / '.history' / DAY / '0001-new.json'} holds it as it was")


def test_a_failed_regen_keeps_the_previous_summary(settings, day3, papers):
    from tools.standin import Reply

    before = day_json(day3)["entries"][0]["summary"]
    with StandIn(papers, chat=lambda body: Reply(500, b'{"error": {"message": "down"}}')) as stand_in:
        report = pipeline.regenerate(D, [IDS[0]], local(settings, stand_in, model_attempts=2), clock=clock)
    assert report.failed == {IDS[0]: "model server answered HTTP 500: down"}
    entry = day_json(day3)["entries"][0]
    assert entry["summary"] == before and entry["error"] is None
    assert not (day3 / ".history" / DAY).exists()  # a change that changed nothing leaves nothing to undo


# ------------------------------------------------------------------------------------------------- status
def test_list_tells_in_sync_stale_edited_and_pending(tmp_path):
    out = tmp_path / "output"
    for day in ("2024-10-08", "2024-10-09", "2024-10-10", "2024-10-11"):
        seed_golden_day(out)
        for suffix in (".json", ".md"):
            text = (out / f"2024-10-08{suffix}").read_text().replace("2024-10-08", day)
            (out / f"{day}{suffix}").write_text(text)
    settings = Settings(output_dir=out)
    assert cli(out, "render", "--all").exit_code == 0  # every day written by this version
    stale = Digest.model_validate_json((out / "2024-10-09.json").read_text())
    stale.entries[0].paper.title = "Changed in the JSON"
    (out / "2024-10-09.json").write_text(stale.model_dump_json(indent=2))
    (out / "2024-10-10.md").write_text(md(out).replace("Differential", "Diff"))
    pending = Digest.model_validate_json((out / "2024-10-11.json").read_text())
    pending.entries[0].summary = pending.entries[1].summary = None
    days.write(settings, date(2024, 10, 11), pending)
    listed = cli(out, "list")
    rows = {line.split()[1]: line for line in listed.stdout.splitlines() if line.startswith("│ 2024")}
    assert "in sync" in rows["2024-10-08"] and "stale" in rows["2024-10-09"]
    assert "edited by hand" in rows["2024-10-10"]
    assert rows["2024-10-11"].split("│")[3].strip() == "2"  # the pending column
    shown = cli(out, "show", "2024-10-11")
    assert shown.stdout.count("pending") == 2
    checked = json.loads(cli(out, "check", "2024-10-11", "--json").stdout)[0]["findings"]
    pending_findings = [f for f in checked if f["kind"] == "pending"]
    assert len(pending_findings) == 2 and "digest resume 2024-10-11" in pending_findings[0]["message"]
    assert not [f for f in checked if f["entry"] == pending.entries[0].id and f["kind"] != "pending"]
    rendered = cli(out, "render", "2024-10-11")
    assert "2 entries left out: 2 pending, 0 failed" in rendered.stdout
    resumed = cli(out, "resume", "2024-10-09")  # nothing missing, but stale: re-rendered
    assert resumed.exit_code == 0 and "re-rendered" in resumed.stdout
    assert "Changed in the JSON" in (out / "2024-10-09.md").read_text()


def test_a_crash_between_the_json_and_markdown_writes_reads_as_stale(tmp_path, monkeypatch):
    from authoring.store import files as store

    out = tmp_path / "output"
    seed_golden_day(out)
    real = store.atomic_write

    def dies_before_markdown(path, data, **options):
        if path.suffix == ".md" and path.parent == out:
            raise OSError(28, "No space left on device")  # as if the process stopped between the two writes
        real(path, data, **options)

    monkeypatch.setattr(store, "atomic_write", dies_before_markdown)
    assert cli(out, "rm", DAY, "2410.05258").exit_code == 1
    monkeypatch.setattr(store, "atomic_write", real)
    assert "2410.05258" not in [e["id"] for e in day_json(out)["entries"]]
    assert "stale" in cli(out, "list").stdout  # not "edited by hand"
    assert cli(out, "set", DAY, "2410.02707", "title", "Next change goes ahead").exit_code == 0
    assert "2410.05258" not in md(out) and "Next change goes ahead" in md(out)


def test_render_all_over_unchanged_days_modifies_nothing_and_survives_an_unreadable_day(tmp_path):
    out = tmp_path / "output"
    seed_golden_day(out)
    assert cli(out, "render", "--all").exit_code == 0
    (out / "2024-10-07.json").write_text("{broken")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    result = cli(out, "render", "--all")
    assert result.exit_code == 1 and "Up to date:" in result.stdout and "2024-10-07.json" in result.stderr
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    assert after == before  # the lock's holder note included: an up-to-date day is only read


# ------------------------------------------------------------------------------------------- kill -9
# One process imports digest once and forks a copy of itself for each run (a fork of a process with no threads yet
# is safe): each run is killed at one point, and paying the imports for every point would cost a second a run. The
# copy's fsync sends SIGKILL to itself at the KILL_AT-th call, after the temporary file is written and before the
# rename puts it in place.
_KILLER = """
import atexit, json, os, signal, sys
from authoring.cli import app
from authoring.model import llm  # noqa: F401  (what the runs use, imported once before the forks)
from authoring.runs import pipeline  # noqa: F401
real_fsync = os.fsync
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        os.environ.update(request["env"])
        target, calls = request["point"], [0]
        def fsync(fd):
            calls[0] += 1
            if calls[0] == target:
                os.kill(os.getpid(), signal.SIGKILL)
            real_fsync(fd)
        os.fsync = fsync
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1), os.dup2(devnull, 2)
        try:
            app(request["args"])
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        atexit._run_exitfuncs()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(json.dumps(-os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)), flush=True)
"""


@pytest.fixture
def killed_at():
    """killed_at(point, out, args, env) runs `digest ARGS --output-dir OUT` killed at its point-th write: -9, or
    its exit code when it made fewer writes."""
    environ = {**os.environ, "OPENAI_API_KEY": FAKE_KEY}
    killer = subprocess.Popen([sys.executable, "-c", _KILLER], cwd=ROOT, env=environ, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)

    def run_killed(point: int, out: Path, args: list[str], env: dict | None = None) -> int:
        request = {"point": point, "args": [*args, "--output-dir", str(out)], "env": env or {}}
        killer.stdin.write(json.dumps(request) + "\n")
        killer.stdin.flush()
        return json.loads(killer.stdout.readline())

    yield run_killed
    killer.stdin.close()
    killer.wait(timeout=60)


def _assert_whole(out: Path) -> None:
    """DATE.json reads, DATE.md is a render of it or of a state just before, and nothing reads as a hand edit."""
    listed = cli(out, "list")
    assert listed.exit_code == 0 and "unreadable" not in listed.stdout and "edited by hand" not in listed.stdout, \
        listed.stdout
    Digest.model_validate_json((out / f"{DAY}.json").read_text())


@pytest.mark.parametrize("command", ["set", "import", "render", "new"])
def test_kill_9_at_every_write_leaves_whole_files_and_no_stray_temporaries(tmp_path, papers, command, killed_at):
    reference = tmp_path / "reference.md"
    killed = 0
    with StandIn(papers, chat=ok) as stand_in:
        env = {"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"}
        args = {
            "set": ["set", DAY, "2410.05258", "title", "Killed title"],
            "import": ["import", str(reference), "--force"],
            "render": ["render", DAY, "--force"],
            "new": ["new", DAY, *IDS, "--force", "--base-url", f"{stand_in.url}/v1", "--concurrency", "1"],
        }[command]
        for point in range(1, 40):
            out = tmp_path / f"out-{point}"
            seed_golden_day(out)
            reference.write_text(md(out).replace("Differential Transformer", "Differential Transformer!"))
            if command == "render":
                (out / f"{DAY}.md").write_text(md(out) + "\nA hand edit.\n")
            code = killed_at(point, out, args, env)
            if code != -9:
                assert code == 0
                break
            killed += 1
            if command != "render":  # render --force over a hand edit: the hand edit is what may remain
                _assert_whole(out)
            assert cli(out, "set", DAY, "2410.02707", "title", "After the kill").exit_code in (0, 1)
            strays = [p for p in out.rglob("*.tmp")]
            assert strays == [], strays
    assert killed >= 2  # the command really was killed at several of its writes


def test_kill_9_at_every_write_of_an_undo_after_new_force_never_reads_as_a_hand_edit(tmp_path, papers, killed_at):
    """`new --force` renders more than once (the day pending, then finished), so DATE.json's note of the DATE.md it
    replaced is not the one undo brings back: undo says so before it restores, or a crash there reads as edited."""
    killed = 0
    with StandIn(papers, chat=ok) as stand_in:
        env = {"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"}
        for point in range(1, 12):
            out = tmp_path / f"out-{point}"
            seed_golden_day(out)
            made = cli(out, "new", DAY, *IDS, "--force", "--base-url", f"{stand_in.url}/v1", env=env)
            assert made.exit_code == 0, made.output
            code = killed_at(point, out, ["undo", DAY])
            if code != -9:
                assert code == 0
                break
            killed += 1
            _assert_whole(out)
    assert killed >= 2


def test_undo_skips_a_snapshot_a_killed_command_kept_of_the_day_as_it_is(tmp_path):
    """A command killed after keeping the day for undo, before changing it, leaves a snapshot equal to the day:
    undo must not spend itself undoing nothing."""
    from authoring.store import history

    out = tmp_path / "out"
    seed_golden_day(out)
    assert cli(out, "set", DAY, "2410.05258", "objective", "A person's text.").exit_code == 0
    history.snapshot(out, date.fromisoformat(DAY), "import")  # what the killed `import --force` left
    result = cli(out, "undo", DAY)
    assert result.exit_code == 0 and "Undid `digest set`" in result.stdout, result.output
    assert day_json(out)["entries"][0]["summary"]["objective"] != "A person's text."


# --------------------------------------------------------------------- import and undo after runs that overlapped
def _regen_while_a_person_edits_the_markdown(settings, day3, papers, ids):
    """Regenerate `ids` while a person fixes a typo in DATE.md (during the first model call)."""
    from tools.standin import Reply, chat_completion

    new_summary = {"objective": "From the run.", "method": "M.", "result": "R: 43%.", "implication": "I.",
                   "questions": ["Q1?", "Q2?"]}
    edited = {"done": False}

    def chat(body):
        if not edited["done"]:
            edited["done"] = True
            path = day3 / f"{DAY}.md"
            path.write_text(path.read_text().replace(f"Paper {IDS[0]} (Read", f"Paper {IDS[0]}, fixed (Read"))
        return Reply(200, chat_completion(json.dumps(new_summary), model=body["model"], created=1728345600,
                                          usage=(10, 5)))

    with StandIn(papers, chat=chat) as stand_in:
        report = pipeline.regenerate(D, ids, local(settings, stand_in), clock=clock)
    assert report.markdown_edited and report.failed == {}


def test_import_after_a_run_keeps_the_runs_results_and_takes_the_persons_edit(settings, day3, papers):
    _regen_while_a_person_edits_the_markdown(settings, day3, papers, [IDS[1], IDS[2]])
    result = cli(day3, "import", str(day3 / f"{DAY}.md"), "--force")
    assert result.exit_code == 0, result.output
    entries = day_json(day3)["entries"]
    assert [e["id"] for e in entries] == IDS
    assert entries[0]["paper"]["title"] == f"Paper {IDS[0]}, fixed" and entries[0]["provenance"]["edited"]
    for entry in entries[1:]:  # the run's new summaries stay, and are not called hand edits
        assert entry["summary"]["objective"] == "From the run." and not entry["provenance"]["edited"]
    assert md(day3).count("From the run.") == 2 and "in sync" in cli(day3, "list").stdout


def test_import_keeps_entries_that_were_never_rendered_in_their_place(settings, day3, papers):
    from tools.standin import Reply

    with StandIn(papers, chat=lambda body: Reply(500, b'{"error": {"message": "down"}}')) as stand_in:
        pipeline.add_papers(D, ["2410.00004"], local(settings, stand_in, model_attempts=1), clock=clock, at=2)
    assert [e["id"] for e in day_json(day3)["entries"]][1] == "2410.00004"  # failed, so not in DATE.md
    result = cli(day3, "import", str(day3 / f"{DAY}.md"), "--force")
    assert result.exit_code == 0, result.output
    assert [e["id"] for e in day_json(day3)["entries"]] == [IDS[0], "2410.00004", IDS[1], IDS[2]]
    # a row the person deleted is dropped
    path = day3 / f"{DAY}.md"
    path.write_text("\n".join(line for line in md(day3).split("\n") if IDS[2] not in line))
    assert cli(day3, "import", str(path), "--force").exit_code == 0
    assert [e["id"] for e in day_json(day3)["entries"]] == [IDS[0], "2410.00004", IDS[1]]


def test_undo_walks_back_in_the_order_changes_landed(day3, papers):
    before = day_json(day3)["entries"]
    new_summary = {"objective": "Regenerated.", "method": "M.", "result": "R: 43%.", "implication": "I.",
                   "questions": ["Q1?", "Q2?"]}
    with StandIn(papers, chat=slow_chat(1.5, new_summary)) as stand_in:
        regen = background(stand_in, day3, "regen", DAY, IDS[0])
        wait_for(lambda: len(stand_in.requests("POST")) >= 1)
        assert cli(day3, "set", DAY, IDS[1], "title", "Set during the run").exit_code == 0
        assert regen.wait(timeout=60) == 0
    result = cli(day3, "undo", DAY)
    assert result.exit_code == 0 and "Undid `digest regen`" in result.stdout  # the regen landed last
    entries = day_json(day3)["entries"]
    assert entries[0]["summary"] == before[0]["summary"] and entries[1]["paper"]["title"] == "Set during the run"
    assert "Undid `digest set`" in cli(day3, "undo", DAY).stdout
    assert day_json(day3)["entries"][1]["paper"]["title"] == before[1]["paper"]["title"]


def test_an_output_folder_that_cannot_be_locked_is_one_line_and_readers_still_read(day3, monkeypatch):
    import filelock

    from authoring.store import files as store

    record = json.loads(json.dumps(day_json(day3)["entries"][0]))
    base = days.fingerprint(Digest.model_validate(day_json(day3)).entries[0])
    record["summary"]["objective"] = "Finished by a killed run."
    journal = store.Journal(day3, D)
    journal.append({"command": "regen", "base": base, "entry": record})
    journal.close()

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(filelock.FileLock, "acquire", denied)  # as on a read-only or another user's folder
    result = cli(day3, "set", DAY, IDS[0], "title", "T")
    assert_one_line_error(result, "cannot lock 2024-10-08 in", "Permission denied")
    shown = cli(day3, "show", DAY, IDS[0])
    assert shown.exit_code == 0 and "Finished by a killed run." in shown.stdout  # the journal, applied in memory
    assert "could not be saved" in shown.stderr
    assert (day3 / ".journal" / f"{DAY}.jsonl").exists()  # nothing was written


def test_a_symlinked_markdown_file_keeps_its_link(day3, tmp_path):
    target = tmp_path / "site-checkout" / f"{DAY}.md"
    target.parent.mkdir()
    (day3 / f"{DAY}.md").rename(target)
    (day3 / f"{DAY}.md").symlink_to(target)
    assert cli(day3, "set", DAY, IDS[0], "title", "Through the link").exit_code == 0
    assert (day3 / f"{DAY}.md").is_symlink() and "Through the link" in target.read_text()


def test_the_lock_holder_note_names_who_holds_the_lock_now(settings):
    from authoring.store import files as store
    from authoring.store import locks

    day = date.fromisoformat(DAY)
    with locks.locked(settings, day, "new", None):
        pass
    with locks.locked(settings, day, "regen", None, tidy=False):  # a run's per-entry checkpoint
        holder = store.lock_path(settings.output_dir, day).with_suffix(".holder").read_text()
    assert holder.startswith("`digest regen` (pid ")


# ------------------------------------------------------------------------ a day's file name and its `date`
def test_a_day_whose_date_differs_from_its_file_name_is_named_by_list_check_and_show(tmp_path):
    out = tmp_path / "output"
    seed_golden_day(out)
    moved = (out / f"{DAY}.json").read_text(encoding="utf-8").replace('"date": "2024-10-08"', '"date": "2024-10-09"')
    (out / "2024-10-10.json").write_text(moved, encoding="utf-8")
    listed = cli(out, "list", env={"COLUMNS": "400"})
    assert listed.exit_code == 0
    rows = listed.stdout.splitlines()
    start = next(i for i, line in enumerate(rows) if "2024-10-10" in line)
    cell = [rows[start].split("│")[-2].strip()]  # the markdown column, however narrow the terminal wraps it
    cell += [row.split("│")[-2].strip() for row in rows[start + 1:] if row.startswith("│ " + " " * 10 + " │")]
    assert "holds the day 2024-10-09, not 2024-10-10" in " ".join(cell) and "in sync" not in " ".join(cell)
    checked = cli(out, "check", "2024-10-10")
    assert checked.exit_code == 1 and "holds the day 2024-10-09, not 2024-10-10" in checked.output
    assert_one_line_error(cli(out, "show", "2024-10-10"), "2024-10-10.json holds the day 2024-10-09, not 2024-10-10")
    assert cli(out, "show", DAY).exit_code == 0  # the day in its own file is unaffected


# -------------------------------------------------------------- a DATE.md that digest did not write (issue 20)
REFERENCE = ROOT / "tests" / "data" / "reference-2024-10-08.md"


@pytest.mark.parametrize("json_removed", [False, True], ids=["no-json-ever", "json-removed"])
def test_new_and_import_refuse_a_markdown_file_digest_did_not_write_and_force_keeps_it(settings, papers,
                                                                                      json_removed):
    out = settings.output_dir
    if json_removed:
        seed_golden_day(out)
        (out / f"{DAY}.json").unlink()
    else:
        out.mkdir(parents=True)
    mine = "MINE\n" if not json_removed else md(out).replace("Differential", "My Differential")
    (out / f"{DAY}.md").write_text(mine, encoding="utf-8")
    with StandIn(papers, chat=ok) as stand_in:
        with pytest.raises(Exception, match=r"2024-10-08.md exists and digest did not write it .*--force"):
            pipeline.create_digest(D, IDS, local(settings, stand_in), clock=clock)
        assert stand_in.requests("POST") == []
    assert_one_line_error(cli(out, "import", str(REFERENCE)), f"{out / DAY}.md exists and digest did not write it",
                          "--force")
    assert md(out) == mine and not (out / f"{DAY}.json").exists() and not (out / ".history").exists()
    result = cli(out, "import", str(REFERENCE), "--force")
    assert result.exit_code == 0, result.output
    assert [p.read_text() for p in (out / ".history" / DAY / "kept").iterdir()] == [mine]
    assert md(out) != mine


def test_importing_the_days_own_markdown_needs_no_force_and_keeps_a_copy(tmp_path):
    out = tmp_path / "output"
    out.mkdir()
    mine = REFERENCE.read_text(encoding="utf-8").replace("Differential Transformer", "My | Transformer")
    (out / f"{DAY}.md").write_text(mine, encoding="utf-8")
    result = cli(out, "import", str(out / f"{DAY}.md"))
    assert result.exit_code == 0, result.output
    assert [p.read_text() for p in (out / ".history" / DAY / "kept").iterdir()] == [mine]


def test_a_hand_edit_saved_while_a_writer_renders_is_kept_not_lost(tmp_path, monkeypatch):
    """The editor saves DATE.md after `set` checked it and before its rename: made deterministic by saving while
    the new DATE.md is being flushed to disk (the slow part of the window)."""
    out = tmp_path / "output"
    seed_golden_day(out)
    edited = md(out).replace("Differential Transformer", "Saved by hand meanwhile")
    real_fsync = os.fsync

    def fsync_while_a_person_saves(fd):
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(out / f".{DAY}.md.")):
            (out / f"{DAY}.md").write_text(edited, encoding="utf-8")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_while_a_person_saves)
    result = cli(out, "set", DAY, "2410.02707", "title", "Set meanwhile")
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert result.exit_code == 0, result.output
    kept = list((out / ".history" / DAY / "kept").glob("edited-during-set-*.md"))
    assert [p.read_text(encoding="utf-8") for p in kept] == [edited]
    assert f"was saved by hand while `digest set` wrote the day; your file is kept in {kept[0]}" in result.stderr
    assert "Set meanwhile" in md(out)


# ------------------------------------------------------------------------------- undo over an unreadable day
def test_undo_steps_past_an_unreadable_day_and_says_so(tmp_path):
    out = tmp_path / "output"
    seed_golden_day(out)
    assert cli(out, "rm", DAY, "2410.05258").exit_code == 0
    (out / f"{DAY}.json").write_text("{broken", encoding="utf-8")
    assert cli(out, "import", str(REFERENCE), "--force").exit_code == 0  # kept the broken day for undo
    result = cli(out, "undo", DAY)
    assert result.exit_code == 0, result.output
    assert "Undid `digest import` and `digest rm` on 2024-10-08; 0 earlier changes can still be undone" in result.stdout
    kept = out / ".history" / DAY / "kept" / "unreadable-0002-import-1.json"
    assert "the day before `digest import` cannot be restored (" in result.stderr
    assert f"it is kept in {kept}, and undo went back one change further" in result.stderr
    assert kept.read_text() == "{broken"
    assert len(day_json(out)["entries"]) == 15 and "in sync" in cli(out, "list").stdout


def test_undo_with_only_an_unreadable_day_to_go_back_to_changes_nothing(tmp_path):
    out = tmp_path / "output"
    seed_golden_day(out)
    (out / f"{DAY}.json").write_text("{broken", encoding="utf-8")
    assert cli(out, "import", str(REFERENCE), "--force").exit_code == 0
    before = (out / f"{DAY}.json").read_bytes(), md(out)
    assert_one_line_error(cli(out, "undo", DAY), "the day before `digest import` cannot be restored",
                          "no earlier day is kept; nothing was changed")
    assert ((out / f"{DAY}.json").read_bytes(), md(out)) == before
    assert (out / ".history" / DAY / "0001-import.json").read_text() == "{broken"
