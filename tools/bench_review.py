"""Benchmark of `digest review` on a large day (not a test; prints figures, asserts nothing).

Builds a day of N entries (the demo day's 15 entries repeated with distinct ids, each with its abstract and
findings) in a temporary folder, then times key presses two ways:

- in a terminal: `digest review` runs in a pseudo-terminal of 80x24 (its real driver), and each key is timed from
  the byte written to the end of the last frame the app draws in answer (Textual wraps every frame in the
  synchronized-output markers, which this harness says the terminal supports);
  with the app's CPU time per key (from /proc), which does not grow when other processes share the cores;
- with Textual's pilot, headless: `pilot.press` then `pilot.pause`. The pilot waits until the process looks idle
  (its own polling), so these figures are upper bounds padded by that wait.

Keys: `j`/`k` (next, previous entry), `f` (filter on and off: the list rebuilt), `a` (mark reviewed: the day's
lock, DATE.json and DATE.md written through the store, then the day read and checked again), and the screen
catching up after another command changed DATE.json.

    python tools/bench_review.py [--entries 300] [--presses 50]
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import select
import statistics
import struct
import sys
import tempfile
import termios
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from authoring.config import Settings
from authoring.models import Digest
from authoring.review.app import ReviewApp
from authoring.review.desk import Desk
from authoring.store import days

GOLDEN = ROOT / "tests" / "golden" / "2024-10-08.json"
DAY = date(2024, 10, 8)


def build_day(folder: Path, count: int) -> Settings:
    """A day of `count` entries made from the demo day's 15, each with a distinct id (2410.1NNNN)."""
    settings = Settings(output_dir=folder)
    golden = Digest.model_validate_json(GOLDEN.read_text(encoding="utf-8"))
    entries = []
    for number in range(count):
        entry = golden.entries[number % len(golden.entries)].model_copy(deep=True)
        entry.id = f"2410.{10000 + number}"
        assert entry.paper is not None
        entry.paper.id = entry.id
        entries.append(entry)
    days.write(settings, DAY, Digest(date=DAY.isoformat(), entries=entries))
    return settings


def figures(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (f"{name:<34} median {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   max {ms[-1]:6.1f} ms"
            f"   ({len(ms)} presses)")


async def measure(settings: Settings, presses: int) -> list[str]:
    app = ReviewApp(Desk(settings, DAY), watch=False)
    lines = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()

        async def timed(*keys: str, settle: bool = False) -> float:
            started = time.perf_counter()
            await pilot.press(*keys)
            if settle:  # the change runs in a worker thread; the screen shows it once the worker is done
                await app.workers.wait_for_complete()
            await pilot.pause()
            return time.perf_counter() - started

        lines.append(figures("j (next entry)", [await timed("j") for _ in range(presses)]))
        lines.append(figures("k (previous entry)", [await timed("k") for _ in range(presses)]))
        lines.append(figures("f (filter on or off)", [await timed("f") for _ in range(min(presses, 20))]))
        lines.append(figures("a (mark reviewed, saved, re-read)", [await timed("a", settle=True)
                                                                    for _ in range(min(presses, 20))]))
        reloads = []
        for _ in range(min(presses, 10)):
            json_file = settings.output_dir / f"{DAY.isoformat()}.json"
            os.utime(json_file)  # as another command's write would: the app reads the day again
            started = time.perf_counter()
            app._look_at_disk()
            await pilot.pause()
            reloads.append(time.perf_counter() - started)
        lines.append(figures("another command's change, shown", reloads))
    return lines


SYNC_END = b"\x1b[?2026l"
ASKS_SYNC = b"\x1b[?2026$p"  # DECRQM: does the terminal support synchronized output?


class Terminal:
    """`digest review` on a pseudo-terminal of 80x24, as a terminal emulator runs it."""

    def __init__(self, settings: Settings):
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the app, on the pseudo-terminal
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            os.execvpe(sys.executable, [sys.executable, "-m", "authoring", "review", DAY.isoformat(),
                                        "--output-dir", str(settings.output_dir)], env)
        self.cpu_used: list[float] = []

    def drain(self, quiet: float) -> float | None:
        """Read what the app writes until it is quiet for `quiet` seconds; when the last frame ended."""
        last = None
        while True:
            ready, _, _ = select.select([self.fd], [], [], quiet)
            if not ready:
                return last
            try:
                data = os.read(self.fd, 1 << 16)
            except OSError:
                return last
            if ASKS_SYNC in data:
                os.write(self.fd, b"\x1b[?2026;2$y")  # supported (currently reset)
            if SYNC_END in data:
                last = time.perf_counter()

    def cpu(self) -> float:
        """The app's CPU seconds so far (user + system, from /proc): what a key costs, however busy the machine."""
        fields = open(f"/proc/{self.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def press(self, key: bytes, quiet: float = 0.25) -> float:
        cpu = self.cpu()
        started = time.perf_counter()
        os.write(self.fd, key)
        ended = self.drain(quiet)
        self.cpu_used.append(self.cpu() - cpu)
        return (ended or time.perf_counter()) - started

    def close(self) -> None:
        os.write(self.fd, b"q")
        self.drain(0.5)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def in_a_terminal(settings: Settings, presses: int) -> list[str]:
    terminal = Terminal(settings)
    try:
        terminal.drain(2.0)  # started and drawn
        lines = []
        for name, key, count, quiet in (("j (next entry)", b"j", presses, 0.25),
                                        ("k (previous entry)", b"k", presses, 0.25),
                                        ("f (filter on or off)", b"f", min(presses, 20), 0.25),
                                        ("a (mark reviewed, saved, re-read)", b"a", min(presses, 20), 0.6)):
            terminal.cpu_used = []
            lines.append(figures(name, [terminal.press(key, quiet) for _ in range(count)]))
            lines.append(figures("    its CPU time in the app", terminal.cpu_used))
    finally:
        terminal.close()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--presses", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = build_day(Path(folder) / "output", args.entries)
        started = time.perf_counter()
        Desk(settings, DAY).read()
        read = time.perf_counter() - started
        print(f"digest review on a {args.entries}-entry day, 80x24")
        print(f"{'reading and checking the day':<34} {read * 1000:6.1f} ms")
        print("In a terminal (a pseudo-terminal, the app's real driver): key written -> last frame drawn")
        for line in in_a_terminal(settings, args.presses):
            print("  " + line)
        print("With the pilot (headless; padded by the pilot's wait for an idle process)")
        for line in asyncio.run(measure(settings, args.presses)):
            print("  " + line)


if __name__ == "__main__":
    main()
