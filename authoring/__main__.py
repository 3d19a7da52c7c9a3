"""`python -m authoring` runs the digest command line."""

from .cli import app

app(prog_name="digest")
