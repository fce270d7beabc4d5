"""A small Python client for the HTTP API, typed with the service's own response models.

    from qa_service.client import QAClient

    with QAClient("http://127.0.0.1:8000") as qa:
        answer = qa.ask("Wer wurde zum Chef der Drohnentruppen ernannt?")
        for c in answer.citations:
            print(c.id, c.quote)
        follow_up = qa.chat("Wann war das?", conversation_id=qa.chat("...").conversation_id)

It needs only httpx and pydantic at run time (no model, no index).
"""

from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from qa_service.api.chat_schemas import ChatResponse, ConversationOut
from qa_service.api.schemas import (
    AskResponse,
    DocumentCreated,
    DocumentDetail,
    DocumentPage,
    Health,
)


class QAClientError(Exception):
    """The service answered with an error status; ``detail`` says what was wrong."""

    def __init__(self, status_code: int, detail: Any) -> None:
        super().__init__(f"HTTP {status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail


class QAClient:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        api_key: str | None = None,
    ) -> None:
        """``api_key``: sent as ``Authorization: Bearer KEY``, which every /v1 route needs
        once the service has a key (README, Security)."""
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport, headers=headers
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, path, **kwargs)
        if response.is_error:
            try:
                body = response.json()
                detail = body.get("detail", body.get("error", body))
            except ValueError:
                detail = response.text
            raise QAClientError(response.status_code, detail)
        return response

    def health(self) -> Health:
        return Health.model_validate(self._call("GET", "/health").json())

    def ask(self, question: str, *, top_k: int | None = None) -> AskResponse:
        body: dict[str, Any] = {"question": question}
        if top_k is not None:
            body["top_k"] = top_k
        return AskResponse.model_validate(self._call("POST", "/v1/ask", json=body).json())

    def chat(
        self, message: str, *, conversation_id: str | None = None, top_k: int | None = None
    ) -> ChatResponse:
        body: dict[str, Any] = {"message": message}
        if conversation_id is not None:
            body["conversation_id"] = conversation_id
        if top_k is not None:
            body["top_k"] = top_k
        return ChatResponse.model_validate(self._call("POST", "/v1/chat", json=body).json())

    def conversation(self, conversation_id: str) -> ConversationOut:
        response = self._call("GET", f"/v1/conversations/{conversation_id}")
        return ConversationOut.model_validate(response.json())

    def delete_conversation(self, conversation_id: str) -> None:
        self._call("DELETE", f"/v1/conversations/{conversation_id}")

    def add_document(
        self,
        text: str,
        *,
        id: str | None = None,
        title: str | None = None,
        source: str | None = None,
        published_at: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> DocumentCreated:
        body = {
            "id": id,
            "title": title,
            "text": text,
            "source": source,
            "published_at": published_at,
            "metadata": metadata or {},
        }
        body = {k: v for k, v in body.items() if v is not None}
        return DocumentCreated.model_validate(self._call("POST", "/v1/documents", json=body).json())

    def upload(self, path: Path | str, *, id: str | None = None) -> DocumentCreated:
        path = Path(path)
        data = {"id": id} if id else {}
        with path.open("rb") as handle:
            response = self._call(
                "POST", "/v1/documents", files={"file": (path.name, handle)}, data=data
            )
        return DocumentCreated.model_validate(response.json())

    def documents(self, *, offset: int = 0, limit: int = 50) -> DocumentPage:
        params = {"offset": offset, "limit": limit}
        return DocumentPage.model_validate(self._call("GET", "/v1/documents", params=params).json())

    def document(self, doc_id: str) -> DocumentDetail:
        return DocumentDetail.model_validate(self._call("GET", f"/v1/documents/{doc_id}").json())

    def delete_document(self, doc_id: str) -> None:
        self._call("DELETE", f"/v1/documents/{doc_id}")
