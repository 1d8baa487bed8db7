"""Answer a JSON body that is not an object with a 400, in front of LiteLLM's auth.

LiteLLM 1.106.2 treats every JSON request body as an object in its auth layer
(``user_api_key_auth`` → ``pre_db_read_auth_checks`` calls ``request_data.get("model")``): a body
that is a JSON array, string, number, ``true``/``false`` or ``null`` raises ``AttributeError``, the
client gets a 500 and its connection is dropped. A body that is not UTF-8 gets "Missing required
parameter: 'messages'", which sends the client looking for the wrong problem. No LiteLLM hook runs
that early, so the solv plugin puts this small ASGI guard in front of the proxy app when it loads
(:func:`install`). It reads a JSON POST body, checks its first non-blank byte and its encoding, and
replays it; everything else passes through untouched.

>>> ObjectBodyGuard.rejects(b'  [1, 2]'), ObjectBodyGuard.rejects(b'{"model": "m"}')
(True, False)
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

log = logging.getLogger("solv")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

NOT_OBJECT = b'["-0123456789tfn'  # how a JSON array, string, number, true, false or null begins
NOT_AN_OBJECT = ("the request body is JSON but not an object: send an object like "
                 '{"model": "...", "messages": [{"role": "user", "content": "..."}]}')
NOT_UTF8 = "send JSON encoded as UTF-8"


class ObjectBodyGuard:
    """ASGI middleware: a JSON POST body must be UTF-8 and start with ``{`` (after blanks), else 400."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def rejects(head: bytes) -> bool:
        return problem(head) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or not _json_or_untyped(scope):
            await self.app(scope, receive, send)
            return
        read: list[Message] = []
        while True:
            message = await receive()
            read.append(message)
            if message.get("type") != "http.request" or not message.get("more_body"):
                break
        body = b"".join(m.get("body", b"") for m in read)
        error = problem(body)
        if error:
            await _reject(send, error)
            return
        await self.app(scope, _replay(read, receive), send)


def problem(body: bytes) -> str | None:
    """Why LiteLLM would mishandle this body, or None."""
    lead = body.lstrip()[:1]
    if lead and lead in NOT_OBJECT:
        return NOT_AN_OBJECT
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the request body is not valid UTF-8 (byte 0x{body[exc.start]:02x} at offset {exc.start}): {NOT_UTF8}"
    return None


def _json_or_untyped(scope: Scope) -> bool:
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            return b"json" in value.lower()
    return True


def _replay(read: list[Message], receive: Receive) -> Receive:
    pending = list(read)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


async def _reject(send: Send, message: str) -> None:
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error", "param": None,
                                 "code": "400"}}).encode()
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def install() -> bool:
    """Put the guard in front of the running proxy's app, once. False when there is no proxy app here."""
    proxy = sys.modules.get("litellm.proxy.proxy_server")
    app = getattr(proxy, "app", None)
    if app is None or getattr(app.state, "solv_body_guard", False):
        return False
    if app.middleware_stack is None:  # not started yet: the supported way
        app.add_middleware(ObjectBodyGuard)
    else:  # started (plugins load in the startup event): wrap the built stack
        app.middleware_stack = ObjectBodyGuard(app.middleware_stack)
    app.state.solv_body_guard = True
    log.info("solv: JSON bodies that are not objects get a 400 (solvstack.proxy.bodyguard)")
    return True
