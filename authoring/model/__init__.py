"""The model: the openai client, prompts, summarising papers, cassette replay and prices."""
