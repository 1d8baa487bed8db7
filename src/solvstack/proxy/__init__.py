"""The LiteLLM layer: everything that runs inside the LiteLLM proxy and touches its API: the callbacks
and the builders the entry files call (plugins/, routing/), the request guards, the LiteLLM-backed
judge, search and cache. A LiteLLM upgrade means reviewing this folder (docs/architecture.md)."""
