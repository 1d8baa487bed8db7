"""The LiteLLM ``async_filter_deployments`` callback and its builder."""
