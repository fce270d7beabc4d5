"""Embedding, vector and lexical indexes, and rank fusion."""
