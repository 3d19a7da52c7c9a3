"""`python -m authoring` runs the digest command line."""

from authoring.cli import main

main()
