"""create_app: the FastAPI application with its resources built once in the lifespan."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from qa_service import __version__
from qa_service.answer.examples import ExampleQuestions
from qa_service.api.compute import Compute
from qa_service.api.errors import install_error_handlers
from qa_service.api.routers import ask, chat, documents, examples, health, openai_compat, web
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
        if app.state.service.llm is not None:
            app.state.service.llm.refresh(0)  # /health knows early whether the LLM answers
        app.state.chat = ChatService(app.state.service)
        app.state.compute = Compute(app.state.service.settings.answer_threads)
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
    )
    install_error_handlers(app)
    # The widget runs inside other sites' pages and calls the API from their origin.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=(settings or get_settings()).cors_origins,
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["*"],
    )
    app.include_router(health.router)
    app.include_router(documents.router)
    app.include_router(ask.router)
    app.include_router(chat.router)
    app.include_router(examples.router)
    app.include_router(openai_compat.router)
    app.include_router(web.router)
    return app
