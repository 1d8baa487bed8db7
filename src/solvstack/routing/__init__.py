"""Per-replica routing for vLLM deployments: the LiteLLM ``async_filter_deployments`` seam.

Modules, smallest contract first:

- :mod:`.choice`    the pure decision ``choose(deployments, load, affinity_key) -> deployment``
- :mod:`.affinity`  the conversation key (system prompt + first user turn) a request is hashed by
- :mod:`.metrics`   vLLM ``/metrics`` parsing and the background scraper
- :mod:`.inflight`  requests this proxy has sent to each replica and not seen finish
- :mod:`.config`    the typed ``solv.routing`` section
- :mod:`.callback`  the LiteLLM callback that wires them together
- :mod:`.plugin`    builds the callback from ``litellm_config.yaml`` (a part of ``plugins/solv.py``)

Nothing here is imported by ``solvstack`` itself, so the thinking hook never pays for it.
"""
