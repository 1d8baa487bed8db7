"""The LiteLLM-free core: thinking levels, the one decision (:mod:`.decide`), classifiers, thinking
families, overrides, retrieval logic, routing choice and the typed config with its one error type.

Nothing here imports ``litellm``, :mod:`solvstack.proxy` or :mod:`solvstack.ops` (tests/test_layers.py)."""
