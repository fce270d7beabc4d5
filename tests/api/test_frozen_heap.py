"""The serving processes freeze their start-up heap once the app has started
(qa_service/serving.py FrozenHeapServer): objects the lifespan built are out of the garbage
collector's walks, objects made while serving are not."""

import asyncio
import gc
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import pytest
import uvicorn

from qa_service.serving import FrozenHeapServer, run_app

Message = MutableMapping[str, Any]


class Resource:
    """Something the app builds in its lifespan (a model, a store): lives as long as it."""


def test_the_heap_is_frozen_after_the_lifespan_not_before() -> None:
    seen: dict[str, int] = {}
    built: list[Resource] = []

    async def app(
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        assert scope["type"] == "lifespan"
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                seen["frozen during the lifespan"] = gc.get_freeze_count()
                built.append(Resource())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def scenario() -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = FrozenHeapServer(uvicorn.Config(app, lifespan="on", log_level="warning"))
        server.config.load()
        server.lifespan = server.config.lifespan_class(server.config)
        try:
            await server.startup(sockets=[sock])
            seen["frozen after start-up"] = gc.get_freeze_count()
            made_after = Resource()
            tracked = {id(o) for o in gc.get_objects()}  # the young generations only
            seen["built in the lifespan is walked"] = int(id(built[0]) in tracked)
            seen["made while serving is walked"] = int(id(made_after) in tracked)
            await server.shutdown(sockets=[sock])
        finally:
            sock.close()

    gc.unfreeze()
    try:
        asyncio.run(scenario())
        # What the lifespan built, and everything before it, is in the permanent generation.
        assert seen["frozen during the lifespan"] == 0
        assert seen["frozen after start-up"] > len(built) > 0
        assert seen["built in the lifespan is walked"] == 0
        assert seen["made while serving is walked"] == 1
    finally:
        gc.unfreeze()  # the rest of the test session collects as before


def test_a_failed_start_up_exits_with_uvicorns_code() -> None:
    async def app(
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no index"})

    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_level="critical")
    try:
        with pytest.raises(SystemExit) as exited:
            run_app(config)
        assert exited.value.code == 3  # uvicorn.run's STARTUP_FAILURE, as `serve` had before
        assert gc.get_freeze_count() == 0  # nothing frozen: the app never served
    finally:
        gc.unfreeze()
