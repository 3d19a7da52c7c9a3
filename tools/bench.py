"""Benchmark of `digest new` against loopback stand-ins (not a test; `make bench`).

Starts stand-ins for an OpenAI-compatible server (fixed latency, optional fault rate) and for the arXiv API, runs
`digest new` on N synthetic ids as a real subprocess, and prints: wall time (the median of --repeat runs, with their
range), the ratio to the ideal ceil(N/c) x latency, the run's own peak memory and CPU, the ratio to a
--concurrency 1 run measured in the same invocation, arXiv requests, entries lost under injected faults; then
1,000 papers at concurrency 64 with arXiv's 3-second pacing against the ideal that pacing allows; bytes written and
CPU per paper at N=100, 300 and 1,000 with instant answers; and the start-up of `digest --help`, `render` and
`list` next to `python -c pass`. The bytecode of authoring/ is compiled first, as an installed wheel has it.

    python tools/bench.py [--papers 43] [--latency 1.0] [--concurrency 16] [--repeat 5] [--fault-rate 0.2]
                          [--skip-serial] [--skip-large]
"""

from __future__ import annotations

import argparse
import compileall
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.standin import Reply, StandIn, chat_completion

SUMMARY = {"objective": "O.", "method": "M.", "result": "R: 42% better.", "implication": "I.",
           "questions": ["Q1?", "Q2?"]}


def synthetic_papers(count: int) -> dict[str, dict]:
    ids = [f"2410.{n:05d}" for n in range(1, count + 1)]
    return {
        i: {"id": i, "version": 1, "title": f"Benchmark paper {i}", "authors": ["A. Author"],
            "abstract": f"Abstract of {i}: a 42% gain.", "categories": ["cs.LG"], "primary_category": "cs.LG",
            "published": "2024-10-07T00:00:00Z", "updated": "2024-10-07T00:00:00Z", "comment": None}
        for i in ids
    }


class Model:
    """Chat handler: answers after `latency`; a `fault_rate` share of calls get 429 (Retry-After: 1), 500 or 503."""

    def __init__(self, latency: float, fault_rate: float, seed: int = 7):
        self.latency, self.fault_rate = latency, fault_rate
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.calls = self.faults = 0

    def __call__(self, body: dict) -> Reply:
        with self.lock:
            self.calls += 1
            fault = self.random.random() < self.fault_rate
            kind = self.random.choice([429, 500, 503]) if fault else 200
            self.faults += fault
        if kind == 429:
            return Reply(429, b'{"error": {"message": "Rate limit reached"}}', {"Retry-After": "1"}, delay=0.05)
        if kind != 200:
            return Reply(kind, b'{"error": {"message": "server error"}}', delay=0.05)
        content = json.dumps(SUMMARY)
        return Reply(200, chat_completion(content, model=body["model"], created=1728345600, usage=(400, 120)),
                     delay=self.latency)


def digest_command() -> list[str]:
    script = Path(sys.executable).parent / "digest"
    return [str(script)] if script.exists() else [sys.executable, "-m", "authoring"]


def run_digest(papers: dict, model: Model, concurrency: int) -> dict:
    with StandIn(papers, chat=model) as stand_in, tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "OPENAI_API_KEY": "bench-not-a-key", "DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"}
        command = [*digest_command(), "new", "2024-10-10", *papers, "--base-url", f"{stand_in.url}/v1",
                   "--concurrency", str(concurrency), "--output-dir", str(Path(work) / "out"), "--json", "--quiet"]
        started = time.monotonic()  # the stand-in logs each request's arrival on this clock
        child = subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 text=True)
        stdout = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)  # this child's own resource use (RUSAGE_CHILDREN sums them all)
        wall = time.monotonic() - started
        posts = [at - started for at, method, _ in stand_in.log if method == "POST"]
        child.returncode = os.waitstatus_to_exitcode(status)
        stored = json.loads((Path(work) / "out" / "2024-10-10.json").read_text())
        summary = json.loads(stdout) if stdout.strip().startswith("{") else {}
    return {
        "wall": wall,
        "first_call": posts[0] if posts else math.nan,  # start-up: imports, settings, arXiv, the client
        "after_last": wall - (posts[-1] + model.latency) if posts else math.nan,  # last answer to the process's end
        "exit": child.returncode,
        "ok": sum(1 for e in stored["entries"] if e["summary"]),
        "arxiv_requests": len(stand_in.requests("GET")),
        "model_calls": model.calls,
        "faults": model.faults,
        "retries": summary.get("retries"),
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "cpu": usage.ru_utime + usage.ru_stime,
    }


# Runs the console script's own entry point in a child process and, as it exits (atexit), notes how many bytes it
# passed to write() (/proc/self/io).
_COUNT_WRITES = """
import atexit, sys
noted, sys.argv = sys.argv[1], ["digest", *sys.argv[2:]]
def note():
    fields = dict(line.split(": ") for line in open("/proc/self/io").read().splitlines())
    with open(noted, "w") as out:
        out.write(fields["wchar"])
atexit.register(note)
from authoring.cli import main
main()
"""


def write_cost(count: int, concurrency: int = 16) -> dict:
    """Bytes written and CPU seconds of a `digest new` of `count` papers with instant answers."""
    papers = synthetic_papers(count)
    with StandIn(papers, chat=Model(0.0, 0.0)) as stand_in, tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "OPENAI_API_KEY": "bench-not-a-key", "DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"}
        out, noted = Path(work) / "out", Path(work) / "wchar"
        (Path(work) / "digest.toml").write_text("arxiv_delay_seconds = 0\n")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", _COUNT_WRITES, str(noted), "new", "2024-10-10", *papers, "--base-url",
                        f"{stand_in.url}/v1", "--concurrency", str(concurrency), "--output-dir", str(out), "--quiet"],
                       cwd=work, env={**env, "PYTHONPATH": str(ROOT)}, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        final = sum(p.stat().st_size for p in (out / "2024-10-10.json", out / "2024-10-10.md"))
        written = int(noted.read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"papers": count, "written": written, "final": final, "cpu": cpu}


def startup(command: list[str], repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def arxiv_requests_for(count: int) -> int:
    from authoring.config import Settings
    from authoring.ids import parse_id
    from authoring.sources import arxiv_api as arxiv_source

    papers = synthetic_papers(count)
    with StandIn(papers) as stand_in:
        settings = Settings(arxiv_api_url=f"{stand_in.url}/api/query", arxiv_delay_seconds=0.0)
        result = arxiv_source.fetch_papers([parse_id(i) for i in papers], settings)
        assert len(result.papers) == count
    return len(stand_in.requests("GET"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=43)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--skip-serial", action="store_true", help="skip the slow --concurrency 1 run")
    parser.add_argument("--skip-large", action="store_true", help="skip the 1,000-paper run (about 30 s)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the first case; the median is the figure")
    args = parser.parse_args()
    papers = synthetic_papers(args.papers)
    ideal = math.ceil(args.papers / args.concurrency) * args.latency
    # An installed wheel has its bytecode compiled; an editable install compiles it on first use unless
    # PYTHONDONTWRITEBYTECODE is set (as it is on some CI machines), and then every process recompiles authoring/.
    compiled = compileall.compile_dir(ROOT / "authoring", quiet=1)
    print(f"bytecode of authoring/ compiled first, as an installed wheel has it ({'ok' if compiled else 'FAILED'})")

    print(f"digest new: {args.papers} papers, model latency {args.latency:g} s, concurrency {args.concurrency}, "
          f"{args.repeat} runs")
    runs = sorted((run_digest(papers, Model(args.latency, 0.0), args.concurrency) for _ in range(args.repeat)),
                  key=lambda r: r["wall"])
    fast = runs[len(runs) // 2]
    walls = [r["wall"] for r in runs]
    print(f"  wall time, median              {fast['wall']:.2f} s (exit {fast['exit']}, {fast['ok']}/{args.papers} "
          f"summarised; runs {walls[0]:.2f} to {walls[-1]:.2f} s)")
    print(f"  ideal ceil(N/c) x latency      {ideal:.2f} s  -> ratio to ideal {fast['wall'] / ideal:.2f}x (median; "
          f"{walls[0] / ideal:.2f}x to {walls[-1] / ideal:.2f}x)")
    print(f"  where the rest goes            first model request {fast['first_call']:.2f} s after the start; the "
          f"process ends {fast['after_last']:.2f} s after the last answer (writing the day, then Python's own exit)")
    print(f"  peak memory (max RSS)          {fast['peak_rss_mb']:.0f} MB; CPU {fast['cpu']:.2f} s")
    if not args.skip_serial:
        serial = run_digest(papers, Model(args.latency, 0.0), 1)
        speedup = serial["wall"] / fast["wall"]
        print(f"  --concurrency 1 wall time      {serial['wall']:.2f} s  -> speed-up {speedup:.1f}x")
    print(f"  arXiv requests                 {fast['arxiv_requests']} for {args.papers} ids; "
          f"{arxiv_requests_for(250)} for 250 ids")
    if not args.skip_large:
        large, wide = 1000, 64
        chunks = math.ceil(large / 100)
        last_chunk = large - (chunks - 1) * 100
        paced = (chunks - 1) * 3.0 + math.ceil(last_chunk / wide) * args.latency  # arXiv asks 3 s between requests
        ideal_large = max(math.ceil(large / wide) * args.latency, paced)
        big = run_digest(synthetic_papers(large), Model(args.latency, 0.0), wide)
        print(f"digest new: {large} papers, model latency {args.latency:g} s, concurrency {wide}, "
              "arXiv paced 3 s apart")
        print(f"  wall time                      {big['wall']:.2f} s (exit {big['exit']}, {big['ok']}/{large} "
              f"summarised, {big['arxiv_requests']} arXiv requests)")
        print(f"  ideal max(N/c x latency, arXiv pacing + last chunk's calls) {ideal_large:.2f} s  -> ratio "
              f"{big['wall'] / ideal_large:.2f}x")
        print(f"  peak memory (max RSS)          {big['peak_rss_mb']:.0f} MB; CPU {big['cpu']:.2f} s")

    faulty = run_digest(papers, Model(args.latency, args.fault_rate), args.concurrency)
    print(f"with {args.fault_rate:.0%} of model calls answered 429 (Retry-After: 1) / 500 / 503:")
    print(f"  wall time                      {faulty['wall']:.2f} s; {faulty['faults']} faults in "
          f"{faulty['model_calls']} calls, {faulty['retries']} retries")
    print(f"  entries lost                   {args.papers - faulty['ok']} (exit {faulty['exit']})")

    print("checkpoints: bytes written by `digest new` with instant answers (journal + final DATE.json/.md)")
    costs = {}
    for count in (100, 300, 1000):
        cost = costs[count] = write_cost(count)
        print(f"  N={count:<5} written {cost['written'] / 1e6:7.2f} MB for {cost['final'] / 1e6:.2f} MB of files "
              f"({cost['written'] / cost['final']:.1f}x; {cost['written'] / count / 1e3:.1f} kB per paper); "
              f"CPU {cost['cpu']:.2f} s ({count / cost['cpu']:.0f} papers per CPU-second)")
    marginal = (costs[1000]["cpu"] - costs[300]["cpu"]) / 700
    print(f"  each paper beyond the start-up (N=300 to N=1000): {marginal * 1000:.1f} ms CPU = {1 / marginal:.0f} "
          f"papers per CPU-second; the process's fixed CPU (start-up, imports) is about "
          f"{costs[100]['cpu'] - 100 * marginal:.2f} s")

    help_time = startup([*digest_command(), "--help"])
    bare = startup([sys.executable, "-c", "pass"])
    with tempfile.TemporaryDirectory() as out:
        for suffix in (".json", ".md"):
            golden = ROOT / "tests" / "golden" / f"2024-10-08{suffix}"
            (Path(out) / golden.name).write_bytes(golden.read_bytes())
        render_time = startup([*digest_command(), "render", "2024-10-08", "--output-dir", out])
        list_time = startup([*digest_command(), "list", "--output-dir", out])
    print(f"start-up: digest --help {help_time * 1000:.0f} ms; digest render (15 papers) {render_time * 1000:.0f} ms; "
          f"digest list {list_time * 1000:.0f} ms; python -c pass {bare * 1000:.0f} ms (median of 15)")


if __name__ == "__main__":
    main()
