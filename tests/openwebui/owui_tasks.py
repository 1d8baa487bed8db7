"""Open WebUI's background tasks, as the browser check sees them: which request is which, and what to answer.

Open WebUI 0.12.4 builds each task request from a template in ``open_webui/config.py``
(``DEFAULT_*_PROMPT_TEMPLATE``): one user message that starts ``### Task:`` and asks for a JSON object.
After the answer streams, ``utils/middleware.py`` (``background_tasks_handler``) sends, one after the
other: follow-ups (``{"follow_ups": [...]}``), title (``{"title": ...}``), tags (``{"tags": [...]}``).
Search-query generation (``{"queries": [...]}``) runs before the answer when web search ("legacy"
function calling) or a knowledge base is used; autocomplete (``{"text": ...}``) while typing, when the
admin switch and the user's setting are on; image-prompt, emoji (voice calls) and MoA (merging several
models' answers) with those features. The emoji and MoA templates are plain text, not ``### Task:``.

:class:`TaskBackend` is the recording backend answering each task with the JSON Open WebUI parses, so it
proceeds to the next task; :func:`kind_of` labels a request for the recording. Both read the templates'
own words (test-side labels, independent of how the proxy recognises tasks).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from tests.support.backend import Behaviour, RecordingBackend

TITLE = "Python Release Highlights"
TAGS = ["Technology", "Programming", "Python"]
FOLLOW_UPS = ["Show me an example of the new syntax", "Should I upgrade my project now?"]

# kind -> (a phrase of Open WebUI 0.12.4's default template, the JSON answer Open WebUI parses)
TASKS: dict[str, tuple[str, dict[str, Any]]] = {
    "title": ("Generate a concise title", {"title": TITLE}),
    "tags": ("Generate 1-3 broad tags", {"tags": TAGS}),
    "follow_ups": ('"follow_ups"', {"follow_ups": FOLLOW_UPS}),
    "queries": ('"queries"', {"queries": []}),
    "autocomplete": ("You are an autocompletion system", {"text": ""}),
    "image_prompt": ("image generation task", {"prompt": "A python snake reading release notes."}),
}
# tasks whose templates are plain text (no "### Task:" heading): kind -> (phrase, plain answer)
PLAIN_TASKS: dict[str, tuple[str, str]] = {
    "emoji": ("reflect the speaker's likely facial expression", "😊"),
    "moa": ("You have been provided with a set of responses from various models", "Both answers agree."),
}


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def kind_of(body: dict[str, Any]) -> str:
    """``chat`` for the user's own message, else the task's name (``title``, ``tags``, ...)."""
    messages = body.get("messages") or []
    last = _text(messages[-1]) if messages else ""
    if "### Task:" in last:
        for kind, (phrase, _) in TASKS.items():
            if phrase in last:
                return kind
        return "task"
    for kind, (phrase, _) in PLAIN_TASKS.items():
        if last.startswith(phrase) or phrase in last[:200]:
            return kind
    return "chat"


class TaskBackend(RecordingBackend):
    """The recording backend; a task request gets its JSON answer, a chat message the reply whose phrase it
    contains (``replies``), else ``behaviour.content``."""

    def __init__(self, name: str = "openwebui") -> None:
        super().__init__(name)
        self.replies: dict[str, str] = {}
        backend = self
        base: Any = self._server.RequestHandlerClass

        class Handler(base):  # type: ignore[misc, valid-type]
            def _chat(self, body: dict[str, Any], b: Behaviour) -> None:
                kind = kind_of(body)
                if kind in TASKS:
                    b = dataclasses.replace(b, content=json.dumps(TASKS[kind][1]))
                elif kind in PLAIN_TASKS:
                    b = dataclasses.replace(b, content=PLAIN_TASKS[kind][1])
                else:
                    asked = _text((body.get("messages") or [{}])[-1])
                    b = next((dataclasses.replace(b, content=reply) for phrase, reply in backend.replies.items()
                              if phrase in asked), b)
                super()._chat(body, b)

        self._server.RequestHandlerClass = Handler
