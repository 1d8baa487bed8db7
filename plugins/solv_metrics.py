"""Entry file LiteLLM loads from `litellm_settings.callbacks: ["plugins.solv_metrics.instance"]`.

Counts, per replica, the attempts that succeeded and failed (see `solvstack.metrics`).
"""

from solvstack.metrics import ReplicaLogger

instance = ReplicaLogger()
