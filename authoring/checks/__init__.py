"""Findings about a day (pure): structure, grounding of figures, table safety, drift."""
