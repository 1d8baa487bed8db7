"""Where LiteLLM 1.106.2 keeps things in its request dicts: the one module that knows.

LiteLLM hands callbacks the same request in several shapes: the proxy's ``data`` (``metadata``,
``proxy_server_request``), the router's ``kwargs`` (``litellm_metadata`` on some paths) and the
logging worker's ``model_call_details`` (``litellm_params.metadata``, ``standard_logging_object``).
Every reader of those dicts goes through here, so a LiteLLM upgrade that moves a key is fixed once.

solv's own decision travels with the request as ``metadata["solv"]``, a flat dict of strings (LiteLLM
copies and serialises metadata); :class:`DecisionRecord` is its typed form.

>>> d = DecisionRecord(level="LOW", source="local", kind="chat", thinking="LOW", confidence=0.81, ms=0.4)
>>> data = {"metadata": {}}
>>> put_decision(data, d)
>>> decision_of(data).headers()["x-solv-level"]
'LOW'
>>> decision_of({"litellm_params": {"metadata": {"solv": d.fields()}}}).confidence
0.81
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

META_KEY = "solv"
CLIENT = "client"  # DecisionRecord.thinking when the client's own thinking parameters stand


@dataclass(frozen=True)
class DecisionRecord:
    """What solv decided for one request; it becomes the ``x-solv-*`` headers, the log line and metrics."""

    level: str
    source: str                   # override, client, local, judge, cache, task, ...
    kind: str                     # chat, agent, context, or the client's task (title, tags, ...)
    thinking: str                 # the level applied, or "client"
    confidence: float
    ms: float                     # time to decide
    search: Mapping[str, str] = field(default_factory=lambda: {"search": "off"})  # the retriever's status
    escalated_from: str | None = None
    family: str | None = None     # set once LiteLLM chose the deployment

    def fields(self) -> dict[str, str]:
        """The flat string form carried in ``metadata["solv"]``, in header order."""
        out = {"level": self.level, "source": self.source, "kind": self.kind, "thinking": self.thinking,
               "confidence": f"{self.confidence:.2f}", "ms": f"{self.ms:.2f}", **self.search}
        if self.escalated_from is not None:
            out["escalated_from"] = self.escalated_from
        if self.family is not None:
            out["family"] = self.family
        return out

    def with_family(self, family: str) -> DecisionRecord:
        """This decision once the deployment is chosen (built directly: ``dataclasses.replace`` costs 3x more)."""
        return DecisionRecord(self.level, self.source, self.kind, self.thinking, self.confidence, self.ms, self.search,
                              self.escalated_from, family)

    def headers(self) -> dict[str, str]:
        return {f"x-solv-{k.replace('_', '-')}": v for k, v in self.fields().items()}

    def log_line(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.fields().items())

    @classmethod
    def from_fields(cls, f: Mapping[str, Any]) -> DecisionRecord:
        search = {k: str(v) for k, v in f.items() if str(k).startswith("search")}
        return cls(level=str(f.get("level")), source=str(f.get("source")), kind=str(f.get("kind")),
                   thinking=str(f.get("thinking")), confidence=_float(f.get("confidence")), ms=_float(f.get("ms")),
                   search=search or {"search": "off"},
                   escalated_from=None if f.get("escalated_from") is None else str(f["escalated_from"]),
                   family=None if f.get("family") is None else str(f["family"]))


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


# -- metadata --------------------------------------------------------------------------------------
def _metadata_holders(kwargs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Where LiteLLM keeps the request's metadata: the proxy's ``metadata``, the router's
    ``litellm_metadata``, the logging worker's ``litellm_params.metadata``, in that order."""
    params = kwargs.get("litellm_params")
    holders = (kwargs.get("metadata"), kwargs.get("litellm_metadata"),
               params.get("metadata") if isinstance(params, Mapping) else None)
    return [h for h in holders if type(h) is dict or h is not None and isinstance(h, Mapping)]  # dict: fast path


def metadata_of(kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
    """The request's metadata in any of LiteLLM's shapes (empty if none)."""
    return next((h for h in _metadata_holders(kwargs) if h), {})


class _Fields(dict):  # type: ignore[type-arg]
    """``metadata["solv"]``: the flat strings LiteLLM copies, logs and serialises, plus the record they were
    made from, so the hooks after the pre-call hook do not parse them again. A copy that keeps the type
    (``copy.deepcopy``) keeps the record; a plain ``dict`` copy or a JSON round trip is parsed once more."""

    record: DecisionRecord | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> _Fields:
        """LiteLLM deep-copies metadata: the values are strings and the record is immutable, so a shallow
        copy is a deep one (4x cheaper than ``copy``'s generic path for a dict subclass)."""
        out = _Fields(self)
        out.record = self.record
        return out


def decision_of(kwargs: Any) -> DecisionRecord | None:
    """solv's decision for this request, or None (not a chat request, or solv is off)."""
    if type(kwargs) is not dict and not isinstance(kwargs, Mapping):
        return None
    for holder in _metadata_holders(kwargs):
        fields = holder.get(META_KEY)
        if type(fields) is _Fields and fields.record is not None:
            return fields.record  # put by this process's pre-call hook
        if isinstance(fields, Mapping):
            return DecisionRecord.from_fields(fields)
    return None


def put_decision(data: dict[str, Any], decision: DecisionRecord) -> None:
    """Attach ``decision`` to the request (every later hook and the logging worker see it)."""
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        metadata = data["metadata"] = {}
    fields = metadata[META_KEY] = _Fields(decision.fields())
    fields.record = decision


def put_family(kwargs: Mapping[str, Any], family: str) -> None:
    """Add the chosen deployment's thinking family to the decision where the deployment hook found it
    (the proxy's response headers read it there)."""
    for holder in (kwargs.get("metadata"), kwargs.get("litellm_metadata")):
        if isinstance(holder, dict) and isinstance(fields := holder.get(META_KEY), dict):
            fields["family"] = family
            if isinstance(fields, _Fields) and fields.record is not None:
                fields.record = fields.record.with_family(family)
            return


def drop_client_decision(data: Mapping[str, Any]) -> None:
    """``x-solv-*`` headers come from solv's decision, never from a client that sent ``metadata.solv``."""
    metadata = data.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop(META_KEY, None)


# -- the client's request --------------------------------------------------------------------------
def client_headers(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """All the client's request headers LiteLLM recorded (credentials redacted), names lower-cased."""
    found: dict[str, Any] = {}
    server = kwargs.get("proxy_server_request")
    for holder in (*(m.get("headers") for m in _metadatas(kwargs)),
                   server.get("headers") if isinstance(server, Mapping) else None):
        if isinstance(holder, Mapping):
            for k, v in holder.items():
                found.setdefault(str(k).lower(), v)
    return found


SESSION_ID_GENERATED = "litellm_session_id_generated"  # litellm.constants.SESSION_ID_GENERATED_METADATA_KEY


def litellm_session_id(kwargs: Mapping[str, Any]) -> str | None:
    """LiteLLM's session id (the body's ``litellm_session_id`` or ``metadata.session_id``, which LiteLLM also
    fills from ``x-litellm-session-id`` and similar headers); None when LiteLLM generated it itself."""
    metadatas = _metadatas(kwargs)
    if any(m.get(SESSION_ID_GENERATED) for m in metadatas):
        return None
    for value in (kwargs.get("litellm_session_id"), *(m.get("session_id") for m in metadatas)):
        if isinstance(value, (str, int)) and str(value).strip():
            return str(value).strip()
    return None


def _metadatas(kwargs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [m for m in (kwargs.get("metadata"), kwargs.get("litellm_metadata")) if isinstance(m, Mapping)]


def call_id_of(data: Any) -> str | None:
    """LiteLLM's id of one request (the same in every hook and event of it)."""
    call_id = data.get("litellm_call_id") if isinstance(data, Mapping) else None
    return str(call_id) if call_id else None


# -- the deployment --------------------------------------------------------------------------------
def model_info_of(kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
    """``model_info`` of the deployment LiteLLM chose (``solv_thinking``, ``id``, ...)."""
    params = kwargs.get("litellm_params")
    for holder in (metadata_of(kwargs).get("model_info"), kwargs.get("model_info"),
                   params.get("model_info") if isinstance(params, Mapping) else None):
        if isinstance(holder, Mapping) and holder:
            return holder
    return {}


def tried_replicas(kwargs: Mapping[str, Any]) -> frozenset[str]:
    """Deployment ids that already failed this request: LiteLLM's retry breadcrumbs (``previous_models``)."""
    previous = metadata_of(kwargs).get("previous_models")
    if not isinstance(previous, (list, tuple)):
        return frozenset()
    return frozenset(str(p["deployment_id"]) for p in previous if isinstance(p, Mapping) and p.get("deployment_id"))


def group_size(kwargs: Mapping[str, Any]) -> int:
    """Deployments configured for the request's group (LiteLLM's ``model_group_size``), cooled-down ones too."""
    size = metadata_of(kwargs).get("model_group_size")
    return size if isinstance(size, int) else 1


def replica_of(kwargs: Mapping[str, Any]) -> str | None:
    """The deployment id (``model_info.id``) a logged call went to."""
    params = kwargs.get("litellm_params") or {}
    for holder in (params.get("model_info"), (params.get("metadata") or {}).get("model_info"),
                   (kwargs.get("metadata") or {}).get("model_info")):
        if isinstance(holder, Mapping) and holder.get("id"):
            return str(holder["id"])
    return None


def deployment_of(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``model_group``, ``model_id`` and ``api_base`` of the deployment a request went to."""
    slo = kwargs.get("standard_logging_object")
    if isinstance(slo, Mapping) and slo.get("model_id"):
        return {k: slo.get(k) for k in ("model_group", "model_id", "api_base")}
    params = kwargs.get("litellm_params") or {}
    metadata = params.get("metadata") or kwargs.get("metadata") or {}
    model_info = params.get("model_info") or metadata.get("model_info") or kwargs.get("model_info") or {}
    return {"model_group": metadata.get("model_group") or kwargs.get("model"),
            "model_id": model_info.get("id"), "api_base": params.get("api_base") or kwargs.get("api_base")}
