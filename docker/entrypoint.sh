#!/bin/sh
# compose passes optional settings as empty strings (DATABASE_URL, REDIS_*, TAVILY_API_KEY, ...);
# LiteLLM would treat an empty DATABASE_URL or REDIS_HOST as "configured", so drop the empty ones.
for name in DATABASE_URL REDIS_HOST REDIS_PORT REDIS_PASSWORD TAVILY_API_KEY OPENAI_API_KEY; do
    eval "value=\${$name:-}"
    if [ -z "$value" ]; then unset "$name"; fi
done
# REDIS_PORT alone (its default) means nothing without REDIS_HOST.
if [ -z "${REDIS_HOST:-}" ]; then unset REDIS_PORT; fi
# Proxy workers: SOLV_PROXY_WORKERS, else one per core this container may use, at most 8
# (solvstack.ops.proxyproc.default_workers). LiteLLM's CLI reads NUM_WORKERS. Several workers sum their
# metrics through PROMETHEUS_MULTIPROC_DIR (LiteLLM wipes it at start).
if [ "${1:-}" = "litellm" ] && [ -z "${NUM_WORKERS:-}" ]; then
    NUM_WORKERS=$(python -c 'from solvstack.ops.proxyproc import default_workers; print(default_workers())')
    export NUM_WORKERS
fi
if [ "${NUM_WORKERS:-1}" -gt 1 ] && [ -z "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    export PROMETHEUS_MULTIPROC_DIR=/tmp/solv-metrics
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi
exec "$@"
