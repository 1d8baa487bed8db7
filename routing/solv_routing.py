"""Entry file LiteLLM loads from `litellm_settings.callbacks: ["routing.solv_routing.instance"]`.

LiteLLM imports this file by path, outside any package, so it only imports from `solvstack`.
"""

from solvstack.routing.plugin import build_routing

instance = build_routing()
