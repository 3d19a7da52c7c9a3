"""`python -m authoring` runs the digest command line."""

from authoring.startup import main

main()
