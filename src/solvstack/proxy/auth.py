"""Turn LiteLLM's "No connected db." (HTTP 400) for an unknown key into a 401 that says the fix.

Without a key database (no ``DATABASE_URL``) LiteLLM 1.106.2 answers any key that is not the master
key with ``400 No connected db.``: wrong keys look like bad requests, and clients (Open WebUI,
Continue) show a confusing error. Auth failures pass through ``async_post_call_failure_hook``, which
may return an ``HTTPException`` to replace the error; this callback does only that.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from litellm.integrations.custom_logger import CustomLogger

NO_DB_TYPE = "no_db_connection"
MESSAGE = ("Invalid API key. This gateway has no key database, so only the master key "
           "(LITELLM_MASTER_KEY) is accepted; for per-user virtual keys set DATABASE_URL (docs/security.md).")


class KeyErrors(CustomLogger):
    """Map the no-database key error to 401; leave every other error alone."""

    async def async_post_call_failure_hook(
        self, request_data: dict, original_exception: Exception, user_api_key_dict: Any,
        traceback_str: str | None = None,
    ) -> HTTPException | None:
        if getattr(original_exception, "type", None) == NO_DB_TYPE:
            return HTTPException(status_code=401, detail=MESSAGE)
        return None
