"""solv-stack: a LiteLLM proxy plugin bundle for self-hosted team LLM gateways."""

__version__ = "0.1.0"
