"""HEAD wherever GET works, as HTTP requires (RFC 9110, 9.3.2).

FastAPI routes answer only the methods they name, so without this a HEAD on the page, the
widget, the docs or any GET route was a 405; uptime checkers and link checkers send HEAD.
The request runs as the GET it stands for (the same checks, keys and rate limits; the same
status and headers, ``content-length`` included) and the body is dropped on the way out.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def head_as_get(app: ASGIApp) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await app({**scope, "method": "GET"}, receive, send_without_body)

    return wrapped
