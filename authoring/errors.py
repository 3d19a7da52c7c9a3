"""DigestError and its subclasses: every expected failure, each with a one-line user-facing message."""


class DigestError(Exception):
    """An expected failure; its message is shown to the user as `Error: <message>`."""


class ConfigError(DigestError):
    """A setting is missing or invalid (flags, environment, digest.toml)."""


class InvalidIdError(DigestError):
    """An arXiv id cannot be parsed; raised before any request is sent."""


class ArxivError(DigestError):
    """The arXiv API failed or answered something unusable."""


class HubError(DigestError):
    """The Hub's daily-papers listing failed or answered something unusable (--from-hf)."""


class ModelError(DigestError):
    """The model server failed for one paper (HTTP error, timeout, refusal, invalid output)."""


class StoreError(DigestError):
    """Reading or writing output/ failed, or would overwrite finished work."""


class CassetteError(DigestError):
    """A --cassette replay met a request that is not recorded, or the cassette is unusable."""


def passes_through(err: BaseException) -> bool:
    """True for exceptions a boundary must not reclassify: a --cassette replay that met an unrecorded request
    (vcrpy's CannotOverwriteExistingCassetteException) is the run's problem, not one paper's."""
    return any(cls.__name__ == "CannotOverwriteExistingCassetteException" for cls in type(err).__mro__)


# Kinds of failure a library's exception stands for, recognised by the names of its classes (no library is
# imported here): a message names the kind in words, never the class (ConnectError, ChunkedEncodingError).
_KINDS = (
    (("Timeout",), "no answer in time"),
    (("Proxy",), "the proxy failed"),
    (("SSL", "TLS", "Certificate"), "the secure connection failed"),
    (("Connect", "ConnectionError", "NetworkError"), "the connection failed"),
    (("Redirect",), "too many redirects"),
    (("Decod", "Compress"), "the answer's compression is corrupt"),
    (("Chunked", "Protocol", "IncompleteRead", "ReadError"), "the connection broke off mid-answer"),
    (("JSON",), "the answer is not valid JSON"),
    (("ValidationError",), "the answer does not have the expected fields"),
    (("ParseError", "ExpatError", "ScannerError", "YAMLError"), "the text could not be parsed"),
    (("PdfReadError", "PdfStreamError", "PyPdfError"), "the PDF is damaged or not a PDF"),
)


def in_our_words(err: BaseException, detail: str = "") -> str:
    """A third-party exception for a message that must not show class names: its kind in words and the detail
    ('the connection failed: [Errno 111] Connection refused'), the detail alone when the kind is not one we know
    (a ValueError's text says what it is), or just the kind."""
    names = [cls.__name__ for cls in type(err).__mro__]
    kind = next((words for marks, words in _KINDS if any(mark in name for name in names for mark in marks)), None)
    if kind and detail:
        return f"{kind}: {detail}"
    return detail or kind or "an unexpected failure"
