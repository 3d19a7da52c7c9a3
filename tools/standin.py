"""Loopback stand-ins for the arXiv export API, an OpenAI-compatible chat server and the Hub's daily-papers listing.

Used to assemble cassettes (tools/assemble_cassettes.py) by running the real client code against them, and by
tests that need a server which really answers 429/500, times out or counts requests. Not part of the product.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
for _prefix, _uri in (("", ATOM), ("arxiv", ARXIV), ("opensearch", OPENSEARCH)):
    ET.register_namespace(_prefix, _uri)


@dataclass
class Reply:
    """One HTTP answer of the stand-in."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False  # drop the connection without answering
    trickle: float = 0.0  # send the headers, then the body one byte every `trickle` seconds


def atom_feed(papers: list[dict[str, Any]], query: str) -> bytes:
    """An arXiv export API response in the current (2025+) Atom format, as in wire-examples/arxiv-atom-example.xml.

    Each paper dict: id, version, title, authors, abstract, categories, primary_category, published, updated,
    comment (published/updated are full RFC 3339 timestamps)."""
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}id").text = "https://arxiv.org/api/assembled"
    ET.SubElement(feed, f"{{{ATOM}}}title").text = f"arXiv Query: {query}"
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = "2024-10-08T00:00:00Z"
    ET.SubElement(feed, f"{{{ATOM}}}link", href=f"https://arxiv.org/api/query?{query}", type="application/atom+xml")
    ET.SubElement(feed, f"{{{OPENSEARCH}}}itemsPerPage").text = str(max(len(papers), 1))
    ET.SubElement(feed, f"{{{OPENSEARCH}}}totalResults").text = str(len(papers))
    ET.SubElement(feed, f"{{{OPENSEARCH}}}startIndex").text = "0"
    for paper in papers:
        versioned = f"{paper['id']}v{paper.get('version') or 1}"
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"http://arxiv.org/abs/{versioned}"
        ET.SubElement(entry, f"{{{ATOM}}}title").text = paper["title"]
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = paper["updated"]
        ET.SubElement(
            entry, f"{{{ATOM}}}link", href=f"https://arxiv.org/abs/{versioned}", rel="alternate", type="text/html"
        )
        ET.SubElement(
            entry,
            f"{{{ATOM}}}link",
            href=f"https://arxiv.org/pdf/{versioned}",
            rel="related",
            type="application/pdf",
            title="pdf",
        )
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = paper["abstract"]
        for category in paper.get("categories") or []:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=category, scheme="http://arxiv.org/schemas/atom")
        ET.SubElement(entry, f"{{{ATOM}}}published").text = paper["published"]
        if paper.get("comment"):
            ET.SubElement(entry, f"{{{ARXIV}}}comment").text = paper["comment"]
        if paper.get("primary_category"):
            ET.SubElement(entry, f"{{{ARXIV}}}primary_category", term=paper["primary_category"])
        for name in paper["authors"]:
            author = ET.SubElement(entry, f"{{{ATOM}}}author")
            ET.SubElement(author, f"{{{ATOM}}}name").text = name
    ET.indent(feed)
    return ET.tostring(feed, encoding="UTF-8", xml_declaration=True) + b"\n"


def chat_completion(content: str | None, *, model: str, created: int, finish_reason: str = "stop",
                    refusal: str | None = None, usage: tuple[int, int] = (0, 0), ident: str = "") -> bytes:
    """A chat.completion body in the wire format of wire-examples/openai-cassette-example.yaml."""
    prompt_tokens, completion_tokens = usage
    body = {
        "id": f"chatcmpl-{ident or 'assembled'}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal, "annotations": []},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": None,
    }
    return json.dumps(body, indent=2, ensure_ascii=False).encode("utf-8")


def echo_credentials(status: int = 200) -> Callable[[str, str, bytes, dict[str, str]], Reply | None]:
    """`routes` for a StandIn whose chat endpoint echoes what identifies the caller (its Authorization and
    Proxy-Authorization headers and the request's path with its query) back in an `X-Echo` header, and in a
    summary (`status` 200) or an error body (any other status). A server that quotes credentials is how secrets
    reach files."""

    def route(method: str, path: str, body: bytes, headers: dict[str, str]) -> Reply | None:
        if method != "POST" or not urlsplit(path).path.endswith("/chat/completions"):
            return None
        named = {name.lower(): value for name, value in headers.items()}
        echo = (f"authorization {named.get('authorization')}, proxy-authorization "
                f"{named.get('proxy-authorization')}, path {path}")
        if status != 200:
            error = {"error": {"message": f"refused: {echo}"}}
            return Reply(status, json.dumps(error).encode("utf-8"), {"X-Echo": echo})
        summary = {"objective": f"Echo: {echo}.", "method": "M.", "result": "R: 42%.", "implication": "I.",
                   "questions": ["Q1?", "Q2?"]}
        return Reply(200, chat_completion(json.dumps(summary), model="m", created=1728345600, usage=(10, 5)),
                     {"X-Echo": echo})

    return route


def hub_item(paper_id: str, title: str, authors: list[tuple[str, str | None]], *, upvotes: int = 0,
             day: str = "2024-10-09", summary: str = "") -> dict[str, Any]:
    """One item of GET /api/daily_papers in the Hub's JSON shape (shared/TECH_NOTES.md): `authors` are (name,
    username or None for an unclaimed name); a claimed author carries `user` and status claimed_verified."""
    listed = []
    for number, (name, username) in enumerate(authors):
        author: dict[str, Any] = {"_id": f"{paper_id}-{number}", "name": name, "hidden": False}
        if username:
            author["user"] = {"_id": f"u-{username}", "avatarUrl": f"/avatars/{username}.svg", "fullname": name,
                              "user": username, "type": "user"}
            author["status"] = "claimed_verified"
        listed.append(author)
    stamp = f"{day}T00:00:00.000Z"
    return {
        "paper": {"id": paper_id, "authors": listed, "publishedAt": stamp, "submittedOnDailyAt": stamp,
                  "title": title, "summary": summary, "upvotes": upvotes, "discussionId": f"d-{paper_id}",
                  "ai_summary": "", "ai_keywords": [], "githubRepo": None, "projectPage": None},
        "publishedAt": stamp, "title": title, "summary": summary, "thumbnail": "", "numComments": 0,
        "submittedBy": {"_id": "u-submitter", "avatarUrl": "", "fullname": "Submitter", "user": "submitter",
                        "type": "user"},
        "isAuthorParticipating": False,
    }


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a burst of 16 concurrent connections would see some of them
    # dropped and retried by the kernel a second later, which measures the stand-in, not the client.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is part of the scenario, not a failure of the stand-in.
        pass


class StandIn:
    """A threaded loopback server: GET .../api/query answers from `papers`, POST .../chat/completions from
    `chat` (a function of the parsed request body). Every request is logged with its arrival time."""

    def __init__(
        self,
        papers: dict[str, dict[str, Any]] | None = None,
        chat: Callable[[dict[str, Any]], Reply] | None = None,
        arxiv: Callable[[list[str], str], Reply | None] | None = None,
        routes: Callable[[str, str, bytes, dict[str, str]], Reply | None] | None = None,
        hub: dict[str, list[dict[str, Any]]] | None = None,
    ):
        self.papers = papers or {}
        self.chat = chat
        self.arxiv_override = arxiv
        self.routes = routes  # any other endpoint (e.g. BatchService): None means "not mine"
        self.hub = hub  # GET /api/daily_papers: day -> items in the Hub's JSON shape (hub_item), paged like the Hub
        self.log: list[tuple[float, str, str]] = []
        self.in_flight = 0  # chat requests being answered right now, and the most there ever were at once
        self.max_in_flight = 0
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # TCP_NODELAY, as real servers set it: the body goes out right after the headers instead of waiting up to
            # 40 ms for the client's delayed ACK of them (Nagle), which added that much to every answer
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                stand_in._record("GET", self.path)
                routed = stand_in.routes("GET", self.path, b"", dict(self.headers)) if stand_in.routes else None
                if routed is None and stand_in.hub is not None and urlsplit(self.path).path == "/api/daily_papers":
                    routed = stand_in._daily_papers(self.path)
                self._send(routed or stand_in._arxiv(self.path))

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                stand_in._record("POST", self.path)
                routed = stand_in.routes("POST", self.path, raw, dict(self.headers)) if stand_in.routes else None
                if routed is not None:
                    self._send(routed)
                    return
                if stand_in.chat is None or not self.path.endswith("/chat/completions"):
                    self._send(Reply(404, b'{"error": {"message": "not found"}}'))
                    return
                stand_in._count_in_flight(+1)
                try:
                    self._send(stand_in.chat(json.loads(raw)))
                finally:
                    stand_in._count_in_flight(-1)

            def _send(self, reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.reset:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if not reply.trickle:
                    self.wfile.write(reply.body)
                    return
                self.wfile.flush()
                for byte in reply.body:
                    time.sleep(reply.trickle)
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def _count_in_flight(self, change: int) -> None:
        with self._lock:
            self.in_flight += change
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _record(self, method: str, path: str) -> None:
        with self._lock:
            self.log.append((time.monotonic(), method, path))

    def _arxiv(self, path: str) -> Reply:
        query = urlsplit(path).query
        params = parse_qs(query)
        ids = [i for i in ",".join(params.get("id_list", [""])).split(",") if i]
        if self.arxiv_override:
            reply = self.arxiv_override(ids, query)
            if reply is not None:
                return reply
        bases = [re.sub(r"v\d+$", "", i) for i in ids]
        found = [self.papers[base] for base in bases if base in self.papers]
        # arXiv does not promise id_list order: answer in reverse so callers must match by id.
        return Reply(200, atom_feed(list(reversed(found)), query), {"Content-Type": "application/atom+xml"})

    def _daily_papers(self, path: str) -> Reply:
        """The Hub's listing of a day: `limit` items (default 50) of page `p` (default 0); a day it does not
        know is an empty list, as the Hub answers for weekends."""
        params = parse_qs(urlsplit(path).query)
        limit = int(params.get("limit", ["50"])[0])
        page = int(params.get("p", ["0"])[0])
        items = (self.hub or {}).get(params.get("date", [""])[0], [])
        return Reply(200, json.dumps(items[page * limit : (page + 1) * limit]).encode("utf-8"))

    def requests(self, method: str | None = None) -> list[str]:
        with self._lock:
            return [path for _, m, path in self.log if method is None or m == method]

    def __enter__(self) -> StandIn:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


class BatchService:
    """The Files and Batches endpoints of the OpenAI API, enough for the Batch API flow: upload a JSONL file,
    create a batch, retrieve it (in_progress on the first look, then completed), download output and error files.
    Each request line is answered by `chat` (a function of its body); custom_ids in `fail` go to the error file."""

    def __init__(self, chat: Callable[[dict[str, Any]], Reply], fail: dict[str, tuple[str, str]] | None = None,
                 created: int = 1728345600):
        self.chat, self.fail, self.created = chat, fail or {}, created
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.looks: dict[str, int] = {}

    def __call__(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Reply | None:
        path = urlsplit(path).path
        if method == "POST" and path.endswith("/v1/files"):
            return self._upload(body, headers)
        if method == "POST" and path.endswith("/v1/batches"):
            return self._create(json.loads(body))
        match = re.search(r"/v1/batches/([^/]+)$", path)
        if method == "GET" and match:
            return self._retrieve(match.group(1))
        match = re.search(r"/v1/files/([^/]+)/content$", path)
        if method == "GET" and match:
            return Reply(200, self.files[match.group(1)], {"Content-Type": "application/octet-stream"})
        return None

    def _upload(self, body: bytes, headers: dict[str, str]) -> Reply:
        content_type = next(v for k, v in headers.items() if k.lower() == "content-type")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        fields = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
        data = fields["file"].get_payload(decode=True)
        file_id = f"file-digest{len(self.files) + 1:04d}"
        self.files[file_id] = data
        return Reply(200, json.dumps(self._file(file_id, fields["file"].get_filename(), len(data), "batch")).encode())

    def _file(self, file_id: str, name: str, size: int, purpose: str) -> dict[str, Any]:
        return {"id": file_id, "object": "file", "bytes": size, "created_at": self.created, "filename": name,
                "purpose": purpose, "status": "processed", "status_details": None}

    def _create(self, request: dict[str, Any]) -> Reply:
        batch_id = f"batch_digest{len(self.batches) + 1:04d}"
        lines = [json.loads(line) for line in self.files[request["input_file_id"]].decode().splitlines() if line]
        self.batches[batch_id] = {
            "id": batch_id, "object": "batch", "endpoint": request["endpoint"], "errors": None,
            "input_file_id": request["input_file_id"], "completion_window": request["completion_window"],
            "status": "validating", "output_file_id": None, "error_file_id": None, "created_at": self.created,
            "in_progress_at": None, "expires_at": self.created + 86400, "finalizing_at": None, "completed_at": None,
            "failed_at": None, "expired_at": None, "cancelling_at": None, "cancelled_at": None,
            "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
            "metadata": request.get("metadata"), "_lines": lines,
        }
        return Reply(200, json.dumps(self._public(batch_id)).encode())

    def _public(self, batch_id: str) -> dict[str, Any]:
        return {k: v for k, v in self.batches[batch_id].items() if not k.startswith("_")}

    def _retrieve(self, batch_id: str) -> Reply:
        batch = self.batches[batch_id]
        self.looks[batch_id] = self.looks.get(batch_id, 0) + 1
        if self.looks[batch_id] == 1:
            batch.update(status="in_progress", in_progress_at=self.created + 60)
            batch["request_counts"]["completed"] = len(batch["_lines"]) // 2
        elif batch["status"] != "completed":
            self._complete(batch)
        return Reply(200, json.dumps(self._public(batch_id)).encode())

    def _complete(self, batch: dict[str, Any]) -> None:
        outputs, errors = [], []
        for number, line in enumerate(batch["_lines"], start=1):
            item = {"id": f"batch_req_{number:04d}", "custom_id": line["custom_id"]}
            if line["custom_id"] in self.fail:
                code, message = self.fail[line["custom_id"]]
                errors.append({**item, "response": None, "error": {"code": code, "message": message}})
                continue
            reply = self.chat(line["body"])
            outputs.append({**item, "response": {"status_code": reply.status, "request_id": f"req_{number:04d}",
                                                 "body": json.loads(reply.body)}, "error": None})
        out_id, err_id = f"file-out{len(self.files) + 1:04d}", f"file-err{len(self.files) + 2:04d}"
        self.files[out_id] = "".join(json.dumps(o) + "\n" for o in outputs).encode()
        self.files[err_id] = "".join(json.dumps(e) + "\n" for e in errors).encode()
        batch.update(status="completed", output_file_id=out_id, error_file_id=err_id if errors else None,
                     finalizing_at=self.created + 3500, completed_at=self.created + 3600)
        batch["request_counts"].update(completed=len(outputs), failed=len(errors))
