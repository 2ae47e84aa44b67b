"""Reply drafts from an OpenAI-compatible model, written from knowledge-base articles."""
