"""Entry file: `litellm_settings.callbacks: [..., "plugins.solv_auth.instance"]` (wrong key -> 401)."""

from solvstack.auth import KeyErrors

instance = KeyErrors()
