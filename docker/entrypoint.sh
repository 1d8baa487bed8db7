#!/bin/sh
# compose passes optional settings as empty strings (DATABASE_URL, REDIS_*, TAVILY_API_KEY, ...);
# LiteLLM would treat an empty DATABASE_URL or REDIS_HOST as "configured", so drop the empty ones.
for name in DATABASE_URL REDIS_HOST REDIS_PORT REDIS_PASSWORD TAVILY_API_KEY OPENAI_API_KEY; do
    eval "value=\${$name:-}"
    if [ -z "$value" ]; then unset "$name"; fi
done
# REDIS_PORT alone (its default) means nothing without REDIS_HOST.
if [ -z "${REDIS_HOST:-}" ]; then unset REDIS_PORT; fi
exec "$@"
