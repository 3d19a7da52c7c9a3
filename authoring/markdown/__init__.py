"""The digest's markdown: rendering the table, parsing it back, and a summary's text."""
