"""Entry file LiteLLM loads from `litellm_settings.callbacks: ["plugins.solv_metrics.instance"]`.

Counts, per replica, the attempts that succeeded and failed (see `solvstack.metrics`), and serves
`/metrics` when LiteLLM's own `prometheus` callback is off.
"""

from solvstack.metrics import ReplicaLogger, mount_metrics

instance = ReplicaLogger()
mount_metrics()
