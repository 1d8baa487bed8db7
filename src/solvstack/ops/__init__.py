"""Operator tools: the ``solv`` CLI and its subcommands, ``solv up``, GPU discovery, declared deployments,
the proxy process and :mod:`.backends` (every vLLM server ``solv up`` runs). Nothing here imports
:mod:`solvstack.proxy` (tests/test_layers.py)."""
