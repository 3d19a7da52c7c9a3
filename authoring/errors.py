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
