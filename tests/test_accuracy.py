"""Accuracy of `digest check` on real phrasings: one table-driven test per finding kind. Every phrasing here is
hand-written for these tests."""

from __future__ import annotations

import pytest

from authoring.grounding import Source, figures, ungrounded


# ------------------------------------------------------------------------------------------------ figures
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PSNR rises by over 1dB on both sets.", ["1dB"]),
        ("It needs up to 47X less memory.", ["47X"]),
        ("It needs up to 47x less memory.", ["47x"]),
        ("a 3.2× speed-up at batch size one", ["3.2×"]),
        ("trained on 800K-1M samples per task", ["800K", "1M"]),
        ("the loss falls from 8.1e-3 to 1.5e-4", ["8.1e-3", "1.5e-4"]),
        ("an average gain of +Δ9.4% over the baseline", ["9.4%"]),
        ("with only 1k labelled images", ["1k"]),
        ("scaled to 1.5B tokens and 12M steps", ["1.5B", "12M"]),
        ("a margin of ±0.3 and ~40% fewer calls", ["0.3", "40%"]),
        ("a 10–18x speedup", ["10", "18x"]),
        ("an error drop of -3.2 points", ["3.2"]),
        ("accuracy of 87.5 % and 4.1 pp better", ["87.5 %", "4.1 pp"]),
        ("1,532 questions at 0.85 AUC", ["1,532", "0.85"]),
        # names stay names
        ("GPT-4o beats Llama-3.1-8B and Qwen2.5-7B-Instruct", []),
        ("PaliGemma-3B-Mix-448 at 44.1kHz on an A100 40GB", []),
        ("top-1 accuracy with Mistral-7b-instruct in 3D scenes, v2 only", []),
        ("no figure here at all", []),
    ],
)
def test_figures_with_units_and_names(text, expected):
    assert [f.text for f in figures(text)] == expected


@pytest.mark.parametrize(
    ("summary", "source", "missing"),
    [
        ("up to 47X less memory", "uses 47x less memory", []),
        ("800K-1M samples", "between 800,000 and 1 million samples", []),
        ("800K-1M samples", "800K to 1M samples", []),
        ("from 8.1e-3 to 1.5e-4", "from 0.0081 to 0.00015", []),
        ("from 8.1e-3 to 1.5e-4", "from 8.1e-3 to 1.5e-4", []),
        ("+Δ9.4%", "an improvement of 9.4 points", []),
        ("1k images", "1,000 images", []),
        ("over 2dB PSNR", "over 1 dB PSNR", ["2dB"]),
        ("47X less memory", "40x less memory", ["47X"]),
    ],
)
def test_grounding_of_figures_with_units(summary, source, missing):
    assert [f.text for f in ungrounded(summary, Source(source))] == missing
