"""`python -m authoring` runs the digest command line."""

from .startup import main

main()
