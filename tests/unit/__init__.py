"""Unit tests: in-process, no proxy, no vLLM, seconds (``make check``)."""
