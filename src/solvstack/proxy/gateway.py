"""solv's one LiteLLM callback: ``litellm_settings.callbacks: ["plugins.solv.instance"]``.

LiteLLM walks its whole callback list at every step of a request (pre-call, deployment filter,
deployment hook, success, response headers, logging), so four callbacks cost four walks. This one
object carries the four parts and calls each where it belongs, in the order a request meets them:

=================================  ==========================================================
hook                               part
=================================  ==========================================================
``async_pre_call_hook``            thinking: decide, search, escalate (:mod:`solvstack.proxy.hook`)
``async_filter_deployments``       routing: pick the replica (:mod:`solvstack.proxy.routing.callback`)
``async_pre_call_deployment_hook`` thinking: the chosen deployment's family switch and budget
streaming iterator                 thinking: a cut stream ends with an error; routing: answered
``async_post_call_success_hook``   routing: the answer is sent, stop counting it in flight
response headers                   ``x-solv-*`` of thinking and routing
success / failure events           routing (in flight, failing replicas), replica metrics
failure hook                       metrics (failed requests), key errors (no key database: 401)
=================================  ==========================================================
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litellm.integrations.custom_logger import CustomLogger

from solvstack.proxy.auth import KeyErrors
from solvstack.proxy.hook import ThinkingHook
from solvstack.proxy.metrics import ReplicaLogger
from solvstack.proxy.routing.callback import RoutingFilter


class Solv(CustomLogger):
    """The parts behind one callback. Build it with :func:`solvstack.proxy.plugin.build_solv` (reads the YAML)."""

    def __init__(self, thinking: ThinkingHook, routing: RoutingFilter, replicas: ReplicaLogger,
                 keys: KeyErrors | None = None) -> None:
        super().__init__()
        self.thinking, self.routing, self.replicas, self.keys = thinking, routing, replicas, keys or KeyErrors()

    # -- before the model server ------------------------------------------------------------------
    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict, call_type: str) -> dict | str:
        return await self.thinking.async_pre_call_hook(user_api_key_dict, cache, data, call_type)

    async def async_filter_deployments(self, model: str, healthy_deployments: list, messages: list | None,
                                       request_kwargs: dict | None = None, parent_otel_span: Any = None) -> list:
        return await self.routing.async_filter_deployments(model, healthy_deployments, messages, request_kwargs,
                                                           parent_otel_span)

    async def async_pre_call_deployment_hook(self, kwargs: dict[str, Any], call_type: Any) -> dict | None:
        return await self.thinking.async_pre_call_deployment_hook(kwargs, call_type)

    # -- the answer ----------------------------------------------------------------------------
    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict: Any, response: Any,
                                                      request_data: dict) -> AsyncGenerator[Any, None]:
        stream = self.thinking.async_post_call_streaming_iterator_hook(user_api_key_dict, response, request_data)
        async for chunk in self.routing.async_post_call_streaming_iterator_hook(user_api_key_dict, stream,
                                                                                request_data):
            yield chunk

    async def async_post_call_success_hook(self, data: dict, user_api_key_dict: Any, response: Any) -> None:
        await self.routing.async_post_call_success_hook(data, user_api_key_dict, response)

    async def async_post_call_response_headers_hook(
        self, data: dict, user_api_key_dict: Any, response: Any,
        request_headers: dict[str, str] | None = None, litellm_call_info: dict[str, object] | None = None,
    ) -> dict[str, str] | None:
        headers: dict[str, str] = {}
        for part in (self.thinking, self.routing):
            headers.update(await part.async_post_call_response_headers_hook(
                data, user_api_key_dict, response, request_headers, litellm_call_info) or {})
        return headers or None

    # -- after it (LiteLLM's logging worker) ------------------------------------------------------
    async def async_log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        await self.routing.async_log_success_event(kwargs, response_obj, start_time, end_time)
        await self.replicas.async_log_success_event(kwargs, response_obj, start_time, end_time)

    async def async_log_failure_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        await self.routing.async_log_failure_event(kwargs, response_obj, start_time, end_time)

    async def async_post_call_failure_deployment_hook(self, request_data: Any, exception: Exception,
                                                      call_type: Any, fallback_depth: int | None = None) -> None:
        await self.replicas.async_post_call_failure_deployment_hook(request_data, exception, call_type,
                                                                    fallback_depth)

    async def async_post_call_failure_hook(self, request_data: Any, original_exception: Exception,
                                           user_api_key_dict: Any, traceback_str: str | None = None) -> Any:
        await self.replicas.async_post_call_failure_hook(request_data, original_exception, user_api_key_dict,
                                                         traceback_str)
        return await self.keys.async_post_call_failure_hook(request_data, original_exception, user_api_key_dict,
                                                            traceback_str)

    async def log_success_fallback_event(self, original_model_group: str, kwargs: dict,
                                         original_exception: Exception) -> None:
        await self.replicas.log_success_fallback_event(original_model_group, kwargs, original_exception)

    async def log_failure_fallback_event(self, original_model_group: str, kwargs: dict,
                                         original_exception: Exception) -> None:
        await self.replicas.log_failure_fallback_event(original_model_group, kwargs, original_exception)
