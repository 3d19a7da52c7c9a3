"""Where papers come from: arXiv's API (the `arxiv` package), the Hub's daily listing, full text from PDFs."""
