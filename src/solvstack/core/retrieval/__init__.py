"""Retrieval logic without LiteLLM: the query, the context block, sanitising, config."""
