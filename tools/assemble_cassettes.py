"""Assemble every cassette in cassettes/ from the data in tests/data (copied from ../shared).

No live service can be reached where this project is developed, so no cassette here is a live recording.
Each one is made by running the project's real client code (the arxiv package over requests, the openai SDK over
httpx2) with `--cassette --record` against a loopback stand-in (tools/standin.py) that answers with:
  - arXiv: an Atom feed in the current format built from tests/data/papers-2024-10-08.json, or, for the
    real-response test, the bytes of a genuine recorded arXiv response (tests/data/wire/arxiv-atom-example.xml);
  - the model: chat.completion bodies whose JSON summary is the reference digest's text for that paper, split
    into the four parts and the questions, or, for the error test, a genuine recorded OpenAI 400 body;
  - the Hub: a daily-papers listing in the Hub's JSON shape (hub_items, HUB_USERNAMES: assembled, see below).
Afterwards the loopback address is rewritten to the public endpoints (export.arxiv.org, api.openai.com,
huggingface.co) and the
stand-in's own response headers (Server, Date) are dropped. See cassettes/README.md.

Run: python tools/assemble_cassettes.py   (or `make cassettes`)
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from authoring.config import Settings
from authoring.ids import parse_id
from authoring.model import llm, replay
from authoring.model.prompts import build_messages
from authoring.models import Digest, Entry, Paper
from authoring.runs import batches, pipeline
from authoring.sources import arxiv_api as arxiv_source
from authoring.store import days, edits
from tools.standin import BatchService, Reply, StandIn, chat_completion, hub_item

DATA = ROOT / "tests" / "data"
CASSETTES = ROOT / "cassettes"
DAY = date(2024, 10, 8)
CREATED = 1728345600  # 2024-10-08T00:00:00Z: the reference digest's day, stamped on every assembled reply
ARXIV_API = "https://export.arxiv.org/api/query"
OPENAI_API = "https://api.openai.com/v1"
ARXIV_PDF = "https://arxiv.org/pdf"
HUB = "https://huggingface.co"
# Versions the fixture's notes name for the text it holds; every other paper is assembled as v1.
VERSIONS = {"2410.05258": 2, "2410.02675": 6}
IMPLICATION = re.compile(r"practitioner|suggest|implies|highlight|allows|enables", re.IGNORECASE)
ROW = re.compile(r"\| .* \(Read more on \[arXiv\]\(https://arxiv.org/abs/([^)]+)\).*?\)\)\| .*? \| (.*) \|$")
FOLLOW_UP = re.compile(r"[^.?]*follow-up questions[^:]*:", re.IGNORECASE)


# ---------------------------------------------------------------------------- data from tests/data
def fixture_papers() -> dict[str, dict[str, Any]]:
    """Fixture records in the stand-in's shape. arXiv feeds need both dates: where the fixture has none, the
    digest day is used for `published` and `published` for `updated` (stated in cassettes/README.md)."""
    papers = {}
    for record in json.loads((DATA / "papers-2024-10-08.json").read_text(encoding="utf-8")):
        published = _timestamp(record.get("published")) or f"{DAY.isoformat()}T00:00:00Z"
        papers[record["id"]] = {
            "id": record["id"],
            "version": VERSIONS.get(record["id"], 1),
            "title": record["title"],
            "authors": record["authors"],
            "abstract": record["abstract"],
            "categories": record.get("categories") or [],
            "primary_category": record.get("primary_category"),
            "published": published,
            "updated": _timestamp(record.get("updated")) or published,
            "comment": record.get("comment"),
        }
    return papers


def _timestamp(value: str | None) -> str | None:
    if not value:
        return None
    return value if "T" in value else f"{value}T00:00:00Z"


def reference_summaries() -> dict[str, dict[str, Any]]:
    """The reference digest's summary cell of each paper, split into the Summary fields."""
    summaries = {}
    for line in (DATA / "reference-2024-10-08.md").read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            summaries[match[1]] = split_summary(match[2])
    return summaries


def split_summary(text: str) -> dict[str, Any]:
    """a)-d) rows split at their markers; prose rows by sentence order (first: objective, second: method, then
    the result up to the first later sentence about consequences, which starts the implication). Questions are
    split at their numbers."""
    heading = FOLLOW_UP.search(text)
    if heading is None:
        raise ValueError(f"no follow-up questions in: {text[:80]}")
    body, rest = text[: heading.start()].strip(), text[heading.end() :].strip()
    questions = [q.strip() for q in re.split(r"(?:^|\s+)[1-3]\.\s+", rest) if q.strip()]
    parts = re.split(r"(?:^|\s+)[a-d]\)\s+", body)
    if body.startswith("a)") and len(parts) == 5:
        objective, method, result, implication = (p.strip() for p in parts[1:])
    else:
        sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z\"*(])", body)
        if len(sentences) < 4:
            raise ValueError(f"too few sentences to split: {body[:80]}")
        # The implication starts at the first sentence after the result that speaks of consequences.
        turn = next((i for i in range(3, len(sentences)) if IMPLICATION.search(sentences[i])), len(sentences) - 1)
        objective, method = sentences[0], sentences[1]
        result, implication = " ".join(sentences[2:turn]), " ".join(sentences[turn:])
    if not 2 <= len(questions) <= 3:
        raise ValueError(f"expected 2-3 questions, got {len(questions)}: {rest[:80]}")
    return {"objective": objective, "method": method, "result": result, "implication": implication,
            "questions": questions}


# The Hub's claimed accounts of the reference day's authors: every username the reference digest's Authors column
# shows, put on the arXiv author it fits (by name where the username says it; otherwise the only place the column's
# order allows, or one of them). Assembled for tests, not read from the Hub: see cassettes/README.md.
HUB_USERNAMES = {
    "2410.05258": {"Tianzhu Ye": "ytz20", "Yuqing Xia": "yuqxia", "Yutao Sun": "sunyt32", "Furu Wei": "thegenerality"},
    "2410.02707": {"Hadas Orgad": "hadasor", "Michael Toker": "tokeron", "Yonatan Belinkov": "belinkov"},
    "2410.04364": {"Dohun Lee": "DHCAI", "Bryan S Kim": "bryanswkim", "Geon Yeong Park": "geonyoung-park"},
    "2410.02675": {"Yihong Dong": "dongyh", "Kechi Zhang": "zkcpku", "Jingjing Xu": "Jingjingxu"},
    "2410.05167": {"Zachary Novack": "ZacharyNovack", "Taylor Berg-Kirkpatrick": "tberg12", "Nicholas J. Bryan": "Njb"},
    "2410.05046": {},
    "2410.04932": {"Leheng Li": "lilelife", "Yingjie Cai": "Evenc", "Bingbing Liu": "bingbl"},
    "2410.04734": {"Deqing Fu": "deqing", "Pengchuan Zhang": "pzzhang", "Guan Pang": "tbpangolin"},
    "2410.04534": {"Jiaben Chen": "Jiaben", "Kaizhi Qian": "auspicious3000"},
    "2410.02884": {"Di Zhang": "qq8933", "Jianbo Wu": "jwu323", "Jiatong Li": "schrodingers-tiger"},
    "2410.04698": {"Lei Wang": "demolei", "Yuhui Xu": "yuhuixu", "Hanze Dong": "hendrydong", "Yalu Wang": "lunshi",
                   "Caiming Xiong": "cxiong"},
    "2410.05262": {"Qingchen Yu": "Duguce", "Shichao Song": "Ki-Seki", "Yunfeng Shi": "WinfredShi",
                   "Zifan Zheng": "fan2goa1", "Simin Niu": "siminniu"},
    "2410.03825": {"Junyi Zhang": "Junyi42", "Charles Herrmann": "irwinherrmann", "Junhwa Hur": "hurjunhwa",
                   "Trevor Darrell": "trevordarrell", "Forrester Cole": "fcole"},
    "2410.03187": {"Nan Jiang": "jnnan", "Zimo He": "milleret", "Hongjie Li": "awfuact", "Yixin Chen": "YixinChen",
                   "Siyuan Huang": "thuhsy"},
    "2410.03959": {"Zineng Tang": "ZinengTang", "Lingjun Mao": "mao1207", "Alane Suhr": "alsuhr"},
}
# The --from-hf test day: five of the reference papers in an order of the Hub's own (not arXiv's, not the
# reference's), with assembled upvotes.
HUB_DAY = date(2024, 10, 9)
HUB_LISTING = [("2410.03959", 12), ("2410.05258", 34), ("2410.04698", 5), ("2410.02707", 20), ("2410.05046", 3)]


def hub_items(papers: dict[str, dict[str, Any]], listing: list[tuple[str, int]], day: date) -> list[dict]:
    """The Hub's daily-papers JSON for `listing` ((id, upvotes) in the Hub's order): arXiv's titles and authors,
    the claimed accounts of HUB_USERNAMES."""
    return [
        hub_item(paper_id, papers[paper_id]["title"],
                 [(name, HUB_USERNAMES[paper_id].get(name)) for name in papers[paper_id]["authors"]],
                 upvotes=upvotes, day=day.isoformat())
        for paper_id, upvotes in listing
    ]


# ---------------------------------------------------------------------------- stand-in answers
def _tokens(text: str) -> int:
    return math.ceil(len(text) / 4)  # an estimate: no model counted these


def summary_reply(body: dict[str, Any], summary: dict[str, Any], ident: str) -> Reply:
    content = json.dumps(summary, ensure_ascii=False)
    prompt = "".join(m["content"] for m in body["messages"])
    return Reply(200, chat_completion(content, model=body["model"], created=CREATED, ident=ident,
                                      usage=(_tokens(prompt), _tokens(content))))


def paper_of(body: dict[str, Any], papers: dict[str, dict[str, Any]]) -> str:
    user = body["messages"][-1]["content"]
    for arxiv_id, paper in papers.items():
        if f"Title: {paper['title']}\n" in user:
            return arxiv_id
    raise ValueError("the stand-in cannot tell which paper this request is about")


def sequence(*replies: Reply):
    """A chat handler answering successive requests with `replies` in order."""
    queue = list(replies)
    return lambda body: queue.pop(0)


# ---------------------------------------------------------------------------- recording
def settings_for(stand_in: StandIn) -> Settings:
    return Settings(
        api_key="assembler-placeholder-key",
        base_url=f"{stand_in.url}/v1",
        arxiv_api_url=f"{stand_in.url}/api/query",
        arxiv_pdf_url=f"{stand_in.url}/pdf",
        hf_endpoint=stand_in.url,
        arxiv_delay_seconds=0.0,
        retry_base_delay=0.0,
        model_attempts=1,
    )


def record(name: str, stand_in: StandIn, run, *, serve: bool = True) -> Path:
    """Record `run` into cassettes/NAME.yaml; serve=False when the caller keeps the stand-in running across steps."""
    path = CASSETTES / f"{name}.yaml"
    path.unlink(missing_ok=True)  # assembled afresh: a recording would otherwise extend the previous assembly
    before = len(stand_in.log)
    with stand_in if serve else contextlib.nullcontext(), replay.cassette(path, record=True):
        run(settings_for(stand_in))
    _publicise(path, stand_in.url)
    print(f"assembled {path.relative_to(ROOT)}: {len(stand_in.log) - before} interactions")
    return path


def _publicise(path: Path, local: str) -> None:
    """Point the recording at the public endpoints and drop what only the stand-in sent."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for interaction in data["interactions"]:
        request = interaction["request"]
        request["uri"] = request["uri"].replace(f"{local}/api/query", ARXIV_API).replace(f"{local}/v1", OPENAI_API)
        request["uri"] = request["uri"].replace(f"{local}/pdf", ARXIV_PDF)
        request["uri"] = request["uri"].replace(f"{local}/api/daily_papers", f"{HUB}/api/daily_papers")
        host = "export.arxiv.org" if request["uri"].startswith(ARXIV_API) else "api.openai.com"
        if request["uri"].startswith(ARXIV_PDF):
            host = "arxiv.org"
        if request["uri"].startswith(HUB):
            host = "huggingface.co"
        body = request["body"]
        if isinstance(body, str) and body.startswith("--"):  # multipart: its random boundary, made fixed
            boundary = body.split("\r\n", 1)[0][2:]
            request["body"] = body.replace(boundary, "digest-assembled-boundary")
            for name, values in request["headers"].items():
                request["headers"][name] = [v.replace(boundary, "digest-assembled-boundary") for v in values]
        for name in list(request["headers"]):
            if name.lower() == "host":
                request["headers"][name] = [host]
        headers = interaction["response"]["headers"]
        for name in list(headers):
            if name.lower() in ("server", "date"):
                del headers[name]
    # Concurrent calls finish in any order; a stable sort keeps re-assembly diffs empty (vcrpy matches by content,
    # and the sort is stable, so repeated identical requests keep their answer order).
    data["interactions"].sort(key=lambda i: (i["request"]["method"] != "GET", i["request"]["body"] or ""))
    path.write_text(yaml.safe_dump(data, sort_keys=True, allow_unicode=True), encoding="utf-8")


def test_paper() -> Paper:
    """The paper the model-level tests summarise (2410.05046, a single-version paper)."""
    record_ = fixture_papers()["2410.05046"]
    return Paper(id=record_["id"], version=1, title=record_["title"], authors=record_["authors"],
                 abstract=record_["abstract"], categories=record_["categories"],
                 primary_category=record_["primary_category"], published=record_["published"][:10],
                 updated=record_["updated"][:10], comment=record_["comment"])


# ---------------------------------------------------------------------------- scenarios
def demo(papers, summaries) -> None:
    ids = list(papers)
    stand_in = StandIn(papers, chat=lambda b: summary_reply(b, summaries[paper_of(b, papers)], paper_of(b, papers)))
    with tempfile.TemporaryDirectory() as out:
        record("demo-2024-10-08", stand_in, lambda s: pipeline.create_digest(
            DAY, ids, s.replace(output_dir=Path(out)), clock=datetime.now))


def unknown_id(papers, summaries) -> None:
    known = {"2410.05258": papers["2410.05258"]}
    stand_in = StandIn(known, chat=lambda b: summary_reply(b, summaries["2410.05258"], "2410.05258"))
    with tempfile.TemporaryDirectory() as out:
        record("test_unknown_id_is_reported", stand_in, lambda s: pipeline.create_digest(
            DAY, ["2410.05258", "2410.99999"], s.replace(output_dir=Path(out)), clock=datetime.now))


def model_scenarios(papers, summaries) -> None:
    paper = test_paper()
    good = summaries[paper.id]

    def run_summary(settings: Settings) -> None:
        client = llm.make_client(settings)
        try:
            llm.summarise(client, build_messages(paper), settings.replace(output_attempts=2))
        except llm.ModelError as err:
            print(f"  (recorded failure: {err})")

    def valid(body):
        return summary_reply(body, good, paper.id)

    prose = "This paper introduces a clinical NER benchmark. It evaluates many models."

    def invalid(body):
        return Reply(200, chat_completion(prose, model=body["model"], created=CREATED, ident="prose",
                                          usage=(_tokens(str(body["messages"])), _tokens(prose))))

    cut = json.dumps(good)[:120]

    def truncated(body):
        return Reply(200, chat_completion(cut, model=body["model"], created=CREATED, ident="length",
                                          finish_reason="length", usage=(_tokens(str(body["messages"])), 30)))

    refusal = "I'm sorry, but I can't help with that request."

    def refused(body):
        return Reply(200, chat_completion(None, model=body["model"], created=CREATED, ident="refusal",
                                          refusal=refusal, usage=(_tokens(str(body["messages"])), 12)))

    scenarios = {
        "test_summary_valid": [valid],
        "test_summary_invalid_json_fails_after_budget": [invalid, invalid],
        "test_summary_invalid_then_valid": [invalid, valid],
        "test_summary_truncated": [truncated, truncated],
        "test_summary_refusal": [refused],
        "test_real_openai_error_body": [real_openai_error],
    }
    for name, handlers in scenarios.items():
        queue = list(handlers)
        record(name, StandIn(chat=lambda body, q=queue: q.pop(0)(body)), run_summary)


def real_openai_error(body: dict[str, Any]) -> Reply:
    """The first interaction of the real cassette in tests/data/wire: an HTTP 400 invalid_request_error."""
    real = yaml.safe_load((DATA / "wire" / "openai-cassette-example.yaml").read_text(encoding="utf-8"))
    response = real["interactions"][0]["response"]
    keep = {"Content-Type", "openai-processing-ms", "openai-version", "x-ratelimit-limit-requests"}
    headers = {k: v[0] for k, v in response["headers"].items() if k in keep}
    return Reply(response["status"]["code"], response["body"]["string"].encode("utf-8"), headers)


def real_arxiv(papers, summaries) -> None:
    body = (DATA / "wire" / "arxiv-atom-example.xml").read_bytes()
    stand_in = StandIn(arxiv=lambda ids, query: Reply(200, body, {"Content-Type": "application/atom+xml"}))
    record("test_real_arxiv_response", stand_in,
           lambda s: arxiv_source.fetch_papers([parse_id("1605.08386")], s))


GOLDEN = ROOT / "tests" / "golden"
REGEN_HINT = "Lead the result with the TREC in-context learning gain."


def seed_golden_day(output_dir: Path) -> None:
    """output_dir holds the demo day exactly as `make demo` writes it (tests/golden)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    for suffix in (".json", ".md"):
        (output_dir / f"2024-10-08{suffix}").write_bytes((GOLDEN / f"2024-10-08{suffix}").read_bytes())


def seed_failed_day(output_dir: Path) -> None:
    """A day with one paper whose model call failed earlier and one id arXiv did not know."""
    golden = Digest.model_validate_json((GOLDEN / "2024-10-08.json").read_text(encoding="utf-8"))
    paper = golden.entry("2410.05258").paper
    digest = Digest(date="2024-10-08", entries=[
        Entry(id="2410.05258", paper=paper, error="model server answered HTTP 500: upstream error"),
        Entry(id="2410.99999", error="2410.99999 not found on arXiv"),
    ])
    days.write(Settings(output_dir=output_dir), DAY, digest, force=True)  # over whatever day is there


def authoring_scenarios(papers, summaries) -> None:
    regenerated = {**summaries["2410.05258"], "result": (
        "For in-context learning on the TREC dataset, DIFF Transformer improved average accuracy by 5.2% to 21.6% "
        "compared to the standard Transformer. Results on language modeling tasks show DIFF Transformer outperforms "
        "standard Transformer models, requiring only 65% of the model size or training tokens to achieve comparable "
        "performance.")}

    def run_regen(settings: Settings) -> None:
        with tempfile.TemporaryDirectory() as out:
            seed_golden_day(Path(out))
            pipeline.regenerate(DAY, ["2410.05258"], settings.replace(output_dir=Path(out)), clock=datetime.now,
                                hint=REGEN_HINT)

    record("test_regen_changes_exactly_one_row", StandIn(
        papers, chat=lambda b: summary_reply(b, regenerated, "2410.05258-regen")), run_regen)

    def run_add(settings: Settings) -> None:
        with tempfile.TemporaryDirectory() as out:
            seed_golden_day(Path(out))
            local = settings.replace(output_dir=Path(out))
            with days.change(local, DAY, "rm") as digest:
                edits.remove(digest, ["2410.03959"])
            pipeline.add_papers(DAY, ["2410.03959"], local, clock=datetime.now)

    record("test_add_restores_a_removed_paper", StandIn(
        papers, chat=lambda b: summary_reply(b, summaries["2410.03959"], "2410.03959")), run_add)

    def run_all_failed(settings: Settings) -> None:
        with tempfile.TemporaryDirectory() as out:
            seed_failed_day(Path(out))
            pipeline.regenerate(DAY, [], settings.replace(output_dir=Path(out)), clock=datetime.now, all_failed=True)

    record("test_regen_all_failed", StandIn(
        papers, chat=lambda b: summary_reply(b, summaries["2410.05258"], "2410.05258")), run_all_failed)


BATCH_IDS = DATA / "batch-ids"
BATCH_DAYS = [date(2024, 10, 8), date(2024, 10, 9)]
BATCH_FAILURE = ("2024-10-09/2410.03959", ("server_error", "The server had an error while processing your request."))


def batch_scenario(papers, summaries) -> None:
    """submit, status and collect of a two-day backfill, each step in its own cassette (one stand-in for all)."""
    service = BatchService(chat=lambda body: summary_reply(body, summaries[paper_of(body, papers)], "batch"),
                           fail=dict([BATCH_FAILURE]))
    with StandIn(papers, routes=service) as stand_in, tempfile.TemporaryDirectory() as out:
        def local(settings: Settings) -> Settings:
            return settings.replace(output_dir=Path(out))

        record("test_batch_submit", stand_in, lambda s: batches.submit(
            BATCH_DAYS, local(s), ids_dir=BATCH_IDS, clock=datetime.now), serve=False)
        record("test_batch_status", stand_in, lambda s: batches.status(local(s)), serve=False)
        record("test_batch_collect", stand_in, lambda s: batches.collect(local(s), datetime.now), serve=False)


VERIFY_WRONG = "from 58.9 to 67.3%"  # planted: the abstract says 69.3%


def assembled_pdf(paper: dict, results: str) -> bytes:
    """A small stand-in PDF for a paper: its real title, authors and abstract, an introduction that says what this
    file is, and a Results section holding the reference digest's result sentence (from the real full text)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(datetime(2024, 10, 8))  # fixed, so re-assembly gives the same bytes
    pdf.add_page()
    pdf.set_font("helvetica", size=11)

    def block(heading: str | None, text: str) -> None:
        if heading:
            pdf.multi_cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 6, text.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)

    block(None, paper["title"])
    block(None, ", ".join(paper["authors"]))
    block("Abstract", paper["abstract"])
    block("1 Introduction", "This PDF was assembled for an offline test of digest --source pdf: it is not the "
                            "paper's full text. Its Results section repeats a sentence of the published digest.")
    block("4 Results", results)
    block("5 Conclusion", "See the paper on arXiv for its conclusions.")
    block("References", "[1] A reference that must not reach the model, 2023.")
    return bytes(pdf.output())


def trust_scenarios(papers, summaries) -> None:
    paper_id = "2410.05046"
    pdf = assembled_pdf(papers[paper_id], summaries[paper_id]["result"])

    def pdf_route(method, path, body, headers):
        return Reply(200, pdf, {"Content-Type": "application/pdf"}) if path.startswith("/pdf/") else None

    stand_in = StandIn(papers, chat=lambda b: summary_reply(b, summaries[paper_of(b, papers)], "pdf"),
                       routes=pdf_route)
    with tempfile.TemporaryDirectory() as out:
        record("test_source_pdf", stand_in, lambda s: pipeline.create_digest(
            DAY, [paper_id], s.replace(output_dir=Path(out)), clock=datetime.now, source="pdf"))

    verify_id = "2410.03959"
    # The first answer states a figure the abstract does not have; the second, asked again with that finding as a
    # hint, states the abstract's figure. Both are the reference's summary with the result sentence assembled.
    sentence = "Training an open-weight speaker model on communicative success improved it {}."
    wrong = {**summaries[verify_id], "result": sentence.format(VERIFY_WRONG)}
    right = {**summaries[verify_id], "result": sentence.format("from 58.9 to 69.3%")}
    answers = [wrong, right]
    stand_in = StandIn(papers, chat=lambda b: summary_reply(b, answers.pop(0), "verify"))
    with tempfile.TemporaryDirectory() as out:
        record("test_verify_regenerates_once", stand_in, lambda s: pipeline.create_digest(
            DAY, [verify_id], s.replace(output_dir=Path(out)), clock=datetime.now, verify=True))


def hub_scenario(papers, summaries) -> None:
    """`digest new 2024-10-09 --from-hf`: the Hub's listing, one arXiv request, five chat completions."""
    stand_in = StandIn(papers, chat=lambda b: summary_reply(b, summaries[paper_of(b, papers)], paper_of(b, papers)),
                       hub={HUB_DAY.isoformat(): hub_items(papers, HUB_LISTING, HUB_DAY)})

    def run(settings: Settings) -> None:
        with tempfile.TemporaryDirectory() as out:
            local = settings.replace(output_dir=Path(out))
            selection = pipeline.papers_from_hub(HUB_DAY, local)
            pipeline.create_digest(HUB_DAY, selection.ids, local, clock=datetime.now, hub=selection.hub)

    record("test_from_hf", stand_in, run)


def main() -> None:
    papers, summaries = fixture_papers(), reference_summaries()
    missing = set(papers) - set(summaries)
    if missing:
        raise SystemExit(f"reference has no summary for {sorted(missing)}")
    demo(papers, summaries)
    unknown_id(papers, summaries)
    model_scenarios(papers, summaries)
    real_arxiv(papers, summaries)
    authoring_scenarios(papers, summaries)
    batch_scenario(papers, summaries)
    trust_scenarios(papers, summaries)
    hub_scenario(papers, summaries)


if __name__ == "__main__":
    main()
