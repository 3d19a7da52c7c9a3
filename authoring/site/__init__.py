"""The static site and its feed."""
