"""Per-replica routing for vLLM deployments: the choice and its inputs, without LiteLLM.

Modules, smallest contract first:

- :mod:`.choice`    the pure decision ``choose(deployments, load, affinity_key) -> deployment``
- :mod:`.affinity`  the conversation key (system prompt + first user turn) a request is hashed by
- :mod:`.metrics`   vLLM ``/metrics`` parsing and the background scraper
- :mod:`.inflight`  requests this proxy has sent to each replica and not seen finish
- :mod:`.config`    the typed ``solv.routing`` section
The LiteLLM side (the ``async_filter_deployments`` callback that wires them together, and its builder)
is :mod:`solvstack.proxy.routing`, a part of solv's one callback (``plugins/solv.py``).
"""
