"""Entry file LiteLLM loads from `litellm_settings.callbacks: ["plugins.solv.instance"]`: all of solv
(thinking, routing, replica metrics, key errors) as one callback, and `/metrics` (docs/architecture.md).

LiteLLM imports this file by path, outside any package, so it only imports from `solvstack`.
"""

from solvstack.proxy.plugin import build_solv

# SIGTERM: streams get solv.drain_s to finish; solv.gc tunes this process's garbage collector
instance = build_solv(signals=True, process=True)
