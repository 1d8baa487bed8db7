"""Entry file LiteLLM loads from `litellm_settings.callbacks: ["plugins.solv.instance"]`: all of solv
(thinking, routing, replica metrics, key errors) as one callback, and `/metrics` (docs/architecture.md).

LiteLLM imports this file by path, outside any package, so it only imports from `solvstack`.
"""

from solvstack.proxy.plugin import build_solv

instance = build_solv(signals=True)  # SIGTERM: streams get solv.drain_s to finish
