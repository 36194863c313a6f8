"""Request body bound, enforced before the app reads a byte too many.

Pure ASGI middleware: it checks ``Content-Length`` up front and also counts streamed
(chunked) bodies, answering 413 either way. A streamed body is refused from inside
``receive``: FastAPI turns any exception raised while it reads a body into a 400, so the
middleware sends the 413 itself before raising, and drops whatever the app answers after it.
"""

from contextlib import suppress

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ErrorBody


class BodyTooLarge(Exception):
    """Raised inside ``receive`` when a streamed body passes the bound."""


class BodySizeLimit:
    """Refuse request bodies larger than ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request through while its body stays within the bound."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        response_started = False
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    if not response_started:
                        refused = True
                        await self._refuse(send)
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        # Already answered 413, or the response had begun and can only be cut short.
        with suppress(BodyTooLarge):
            await self.app(scope, counting_receive, tracking_send)

    async def _refuse(self, send: Send) -> None:
        body = ErrorBody(
            detail=f"request body larger than {self.max_bytes} bytes", code="payload_too_large"
        ).model_dump_json()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})
