"""`python -m authoring` runs the digest command line."""

from .cli import main

main()
