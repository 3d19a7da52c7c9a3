import signal
import time
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from authoring.markdown.render import render_markdown
from authoring.models import Digest, Entry, Paper, Summary
from authoring.templating import escape_cell, text_cell, unescape_cell
from authoring.text import drop_controls
from tests.helpers import gfm_table, table_cells, table_rows

GOLDEN = Path(__file__).parents[1] / "golden"
REFERENCE = Path(__file__).parents[1] / "data" / "reference-2024-10-08.md"
HOSTILE = [
    "pipes | in | text",
    "a line\nbreak and\r\nwindows and\rold mac",
    "tab\there",
    "back\\slash before pipe \\| and double \\\\| end",
    "html <br> and <br/> and </td>",
    "LaTeX $\\mathcal{O}(n^2)$ and $|x|$ and \\|",
    "emoji 🤖🧪 and zero-width \u200b joiner",
    "unicode separators \u2028 and \u2029 and \x85 and \x0b",
    "trailing backslash \\",
]


def _entry(arxiv_id: str, title: str, authors: list[str], text: str) -> Entry:
    return Entry(
        id=arxiv_id,
        paper=Paper(id=arxiv_id, version=1, title=title, authors=authors, abstract="x"),
        summary=Summary(objective=text, method=text, result=text, implication=text, questions=[text, text]),
    )


def test_golden_digest_renders_byte_for_byte():
    digest = Digest.model_validate_json((GOLDEN / "2024-10-08.json").read_text(encoding="utf-8"))
    assert render_markdown(digest) == (GOLDEN / "2024-10-08.md").read_text(encoding="utf-8")


def test_layout_matches_the_reference():
    digest = Digest.model_validate_json((GOLDEN / "2024-10-08.json").read_text(encoding="utf-8"))
    markdown = render_markdown(digest)
    reference = REFERENCE.read_text(encoding="utf-8")
    assert markdown.split("\n")[:6] == reference.split("\n")[:6]  # blank, blank, heading, blank, header, separator
    ours, theirs = table_rows(markdown), table_rows(reference)
    assert [row.split(")|")[0] for row in ours] == [row.split(")|")[0] for row in theirs]
    assert all(row.endswith(" |") for row in ours)


def test_summary_cell_has_the_parts_in_order():
    entry = _entry("2410.00001", "T", ["A"], "x")
    entry.summary = Summary(objective="O.", method="M.", result="R 5%.", implication="I.", questions=["Q1?", "Q2?"])
    row = table_rows(render_markdown(Digest(date="2024-10-08", entries=[entry])))[0]
    assert table_cells(row)[2] == "a) O.  b) M.  c) R 5%.  d) I.  Follow-up questions:  1. Q1?  2. Q2?"


def test_at_most_max_authors_are_shown():
    entry = _entry("2410.00001", "T", [f"Author {i}" for i in range(9)], "x")
    row = table_rows(render_markdown(Digest(date="2024-10-08", entries=[entry]), max_authors=3))[0]
    assert table_cells(row)[1] == "Author 0, Author 1, Author 2"


def test_failed_entries_are_left_out():
    ok = _entry("2410.00001", "Kept", ["A"], "x")
    failed = Entry(id="2410.00002", error="not found on arXiv")
    markdown = render_markdown(Digest(date="2024-10-08", entries=[ok, failed]))
    assert [table_cells(r)[0].split(" (Read")[0] for r in table_rows(markdown)] == ["Kept"]


def test_hostile_text_never_breaks_the_table():
    entries = [_entry(f"2410.{i:05d}", text, [text, "B"], text) for i, text in enumerate(HOSTILE, start=1)]
    markdown = render_markdown(Digest(date="2024-10-08", entries=entries))
    lines = markdown.split("\n")
    assert len(lines) == 6 + len(HOSTILE) + 1  # preamble, one line per row, final newline
    rows = table_rows(markdown)
    assert len(rows) == len(HOSTILE)
    for row, text in zip(rows, HOSTILE, strict=True):
        cells = table_cells(row)
        assert len(cells) == 3, row
        flat = " ".join(escape_cell(text).split(" "))
        assert unescape_cell(cells[0].split(" (Read more on")[0]) == unescape_cell(flat)
        assert "\n" not in row and "\t" not in row and "\u2028" not in row
    parsed = gfm_table(markdown)  # an independent parser agrees: a header and one 3-cell row per entry
    assert len(parsed) == 1 + len(HOSTILE) and all(len(cells) == 3 for cells in parsed)


@given(st.text() | st.text(alphabet="<&amp;lt;b/|\\ \x1b"))
def test_escaped_cells_hold_no_breaks_or_bare_pipes_and_unescape_back(text):
    escaped = text_cell(text)
    assert not any(ch in escaped for ch in "\n\r\t\v\f\x85\u2028\u2029\x1b\x00")
    assert table_cells(f"| {escaped} |") == [escaped]
    assert len(gfm_table(f"| h |\n|---|\n| {escaped} |\n")[-1]) == 1
    breaks = "\n\r\t\v\f\x1c\x1d\x1e\x85\u2028\u2029"
    kept = drop_controls(text.replace("\r\n", "\n"))
    expected = "".join(" " if ch in breaks else ch for ch in kept)
    assert unescape_cell(escaped) == expected.strip()


def _backslash_pipeline(count: int) -> float:
    """Seconds (fastest of 3) to escape, render-read, import and check a cell of `count` backslashes."""
    from authoring.checks.findings import check_digest, check_table
    from authoring.markdown.parse import parse_digest
    from authoring.markdown.rows import read_table

    run = "\\" * count
    head = "## Papers for 2024-10-08\n\n| Title | Authors | Summary |\n|-------|---------|---------|\n"
    link = "T (Read more on [arXiv](https://arxiv.org/abs/2410.00001))"
    closed, unclosed = f"{head}| {link} | A | {run} |\n", f"{head}| {link} | A | {run}| x{run}\n"
    fastest = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        escape_cell(run + "|")
        unescape_cell(text_cell(run) + "\\|")
        read_table(unclosed.split("\n"))
        for text in (closed, unclosed):
            check_digest(parse_digest(text, source="x").digest, source_text=lambda entry: None)
            check_table(text)
        fastest = min(fastest, time.perf_counter() - start)
        if fastest > 0.5:  # slow enough to measure once (and a quadratic pipeline is not waited for thrice)
            break
    return fastest


def test_a_run_of_backslashes_costs_time_linear_in_its_length():
    """Issue 20: 100,000 backslashes once cost 30 s (patterns rescanned the run from each backslash). 10x the
    characters may cost about 10x the time; quadratic would be 100x, and is stopped at 30x."""
    small = _backslash_pipeline(10_000)

    def too_slow(signum, frame):
        raise AssertionError(f"100,000 backslashes took over 30x the {small:.3f} s of 10,000: not linear")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.setitimer(signal.ITIMER_REAL, 30 * small + 0.5)
    try:
        large = _backslash_pipeline(100_000)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert large / small < 30, f"10,000: {small:.4f} s, 100,000: {large:.4f} s"
