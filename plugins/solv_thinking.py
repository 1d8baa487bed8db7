"""Entry file LiteLLM loads from `litellm_settings.callbacks: ["plugins.solv_thinking.instance"]`.

LiteLLM imports this file by path, outside any package, so it only imports from `solvstack`.
"""

from solvstack.plugin import build_hook

instance = build_hook()
