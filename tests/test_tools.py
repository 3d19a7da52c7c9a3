"""The measuring scripts still run against the code as it is (they print figures; this only checks they work)."""

import subprocess
import sys

from tests.conftest import ROOT


def _run(*args: str) -> str:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_check_precision_and_bench_check_run():
    assert "precision" in _run("tools/check_precision.py", "--days", "3")
    assert "per 100 days" in _run("tools/bench_check.py", "--sizes", "3", "6")


def test_the_benchmarks_write_cost_measure_runs():
    sys.path.insert(0, str(ROOT))
    from tools.bench import write_cost

    cost = write_cost(12, concurrency=4)
    assert cost["written"] > cost["final"] > 0 and cost["cpu"] > 0


def test_the_benchmarks_run_measures_one_real_digest_process():
    sys.path.insert(0, str(ROOT))
    from tools.bench import Model, run_digest, synthetic_papers

    result = run_digest(synthetic_papers(3), Model(0.0, 0.0), concurrency=2)
    assert (result["exit"], result["ok"], result["model_calls"], result["arxiv_requests"]) == (0, 3, 3, 1)
    assert result["cpu"] > 0 and result["peak_rss_mb"] > 10 and result["wall"] > 0


def test_the_backslash_benchmark_runs():
    assert "(promise: at most 3x)" in _run("tools/bench_backslashes.py", "--sizes", "40", "400", "--repeat", "1")


def test_the_import_benchmark_runs():
    assert "speed-up:" in _run("tools/bench_import.py", "--files", "3")


def test_the_review_benchmark_runs():
    printed = _run("tools/bench_review.py", "--entries", "20", "--presses", "2")
    assert "In a terminal" in printed and "j (next entry)" in printed and "With the pilot" in printed


def test_the_site_benchmark_runs():
    printed = _run("tools/bench_site.py", "--days", "3")
    assert "one day changed:" in printed and "Indexed 1 month for search (2024-10)" in printed
