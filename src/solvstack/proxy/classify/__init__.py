"""Classifiers that call through the running LiteLLM proxy (the judge, the cascade)."""
