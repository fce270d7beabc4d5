"""create_app: the FastAPI application with its resources built once in the lifespan."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from qa_service import __version__
from qa_service.access import AccessService
from qa_service.answer.examples import ExampleQuestions
from qa_service.api.auth import Authenticator
from qa_service.api.compute import Compute
from qa_service.api.errors import install_error_handlers
from qa_service.api.head import head_as_get
from qa_service.api.redaction import redact_access_log
from qa_service.api.routers import (
    ask,
    chat,
    documents,
    examples,
    health,
    keys,
    openai_compat,
    web,
)
from qa_service.api.security import EdgeGuard, OriginPolicy, PolicyCORS, security_headers
from qa_service.chat.service import ChatService
from qa_service.config import Settings, get_settings
from qa_service.service import QAService, build_service

log = logging.getLogger("qa_service")


def create_app(settings: Settings | None = None, service: QAService | None = None) -> FastAPI:
    """Build the app. Tests pass their own settings (index in tmp) or a ready service."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = service is None
        app.state.service = service or build_service(settings or get_settings())
        app.state.service.ingest_seeds_if_empty()
        app.state.service.warm_lexicon()  # the corpus words' vectors, in the background
        if app.state.service.llm is not None:
            app.state.service.llm.refresh(0)  # /health knows early whether the LLM answers
        app.state.chat = ChatService(app.state.service)
        auth.access = AccessService(app.state.service.stores.documents)
        own = app.state.service.settings
        backlog = getattr(app.state.service.embedder, "backlog", None)
        app.state.compute = Compute(own.answer_threads, own.max_queue, backlog)
        app.state.examples = ExampleQuestions(
            app.state.service.answerer, app.state.service.stores.documents
        )
        yield
        if owned:
            app.state.service.close()

    app = FastAPI(
        title="qa_service",
        version=__version__,
        description="Question answering over news articles. Every citation is an exact, "
        "verified span: `document.text[start:end] == quote`.",
        lifespan=lifespan,
        docs_url=None,  # served by the web router, with Swagger UI from a package, not a CDN
        redoc_url=None,  # FastAPI's ReDoc page loads its script from a CDN
        # "/v1/ask/" is a JSON 404 like any unknown path, not a 307 with an empty body that
        # comes before the key check (and names http:// behind an untrusted TLS proxy).
        redirect_slashes=False,
    )
    install_error_handlers(app)
    redact_access_log()
    config = service.settings if service is not None else settings or get_settings()
    app.state.auth = auth = Authenticator(config)
    policy = OriginPolicy(config.cors_origins, auth.key_origins, auth.keys_required)
    # Outermost last: CORS answers preflights and labels every answer, refusals included,
    # so the widget on an allowed site can read why it was refused.
    app.add_middleware(
        EdgeGuard, settings=config, policy=policy, authenticate=auth, router=app.router
    )
    app.add_middleware(PolicyCORS, policy=policy)
    app.add_middleware(security_headers)
    app.add_middleware(head_as_get)  # outermost: everything inside sees the GET it stands for
    app.include_router(health.router)
    app.include_router(documents.router)
    app.include_router(ask.router)
    app.include_router(chat.router)
    app.include_router(examples.router)
    app.include_router(openai_compat.router)
    app.include_router(keys.router)
    app.include_router(web.router)
    return app
