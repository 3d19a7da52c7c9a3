import pytest

from authoring.errors import InvalidIdError
from authoring.ids import ArxivId, normalise, parse_id, read_id_lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2410.05258", ArxivId("2410.05258")),
        ("2410.05258v2", ArxivId("2410.05258", 2)),
        ("  2410.05258  ", ArxivId("2410.05258")),
        ("arXiv:2410.05258", ArxivId("2410.05258")),
        ("arxiv:2410.05258v3", ArxivId("2410.05258", 3)),
        ("https://arxiv.org/abs/2410.05258", ArxivId("2410.05258")),
        ("http://arxiv.org/abs/2410.05258v1", ArxivId("2410.05258", 1)),
        ("https://arxiv.org/pdf/2410.05258", ArxivId("2410.05258")),
        ("https://arxiv.org/pdf/2410.05258v2.pdf", ArxivId("2410.05258", 2)),
        ("https://arxiv.org/html/2410.05258v1", ArxivId("2410.05258", 1)),
        ("https://export.arxiv.org/abs/2410.05258", ArxivId("2410.05258")),
        ("arxiv.org/abs/2410.05258", ArxivId("2410.05258")),
        ("https://www.arxiv.org/abs/2410.05258?context=cs", ArxivId("2410.05258")),
        ("https://huggingface.co/papers/2410.05258", ArxivId("2410.05258")),
        ("huggingface.co/papers/2410.05258", ArxivId("2410.05258")),
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("hep-th/9901001v2", ArxivId("hep-th/9901001", 2)),
        ("math.GT/0309136", ArxivId("math.GT/0309136")),
        ("https://arxiv.org/abs/hep-th/9901001", ArxivId("hep-th/9901001")),
        ("0704.0001", ArxivId("0704.0001")),
        ("1412.6980", ArxivId("1412.6980")),
    ],
)
def test_good_forms_normalise(text, expected):
    assert parse_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "",
        "2410.0525",  # too short for 2024
        "2410.052581",  # too long
        "1412.69801",  # 5 digits before 2015
        "2413.05258",  # month 13
        "2400.05258",  # month 00
        "0612.0001",  # before new-style ids existed
        "2410.05258v0",
        "2410.05258v",
        "hep-th/990100",
        "HEP-TH/9901001",
        "https://example.com/abs/2410.05258",
        "https://huggingface.co/datasets/2410.05258",
        "https://arxiv.org/list/cs.AI/recent",
        "2410.05258; rm -rf /",
    ],
)
def test_bad_forms_are_rejected_naming_the_input(text):
    with pytest.raises(InvalidIdError) as info:
        parse_id(text)
    assert repr(text.strip()) in str(info.value)


def test_str_keeps_version():
    assert str(parse_id("arXiv:2410.05258v2")) == "2410.05258v2"


def test_normalise_drops_repeats_of_the_same_paper_in_any_form():
    kept, dropped = normalise(
        ["2410.05258", "2410.02707", "https://arxiv.org/abs/2410.05258v2", "arXiv:2410.02707"]
    )
    assert [str(i) for i in kept] == ["2410.05258", "2410.02707"]
    assert [str(i) for i in dropped] == ["2410.05258v2", "2410.02707"]


def test_normalise_fails_on_first_malformed_id():
    with pytest.raises(InvalidIdError, match="'24x0.1'"):
        normalise(["2410.05258", "24x0.1"])


def test_ids_file_lines_skip_blanks_and_comments():
    text = "# HF daily 2024-10-08\n2410.05258\n\n  2410.02707   # late addition\n#2410.04364\n"
    assert read_id_lines(text) == ["2410.05258", "2410.02707"]
