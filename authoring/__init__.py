"""digest: author daily digests of AI papers from arXiv ids with an LLM's help."""

__version__ = "0.2.0"
