"""/v1/keys and /v1/audit: API keys and the log of every write, for admin keys."""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from qa_service.access import Scope, public
from qa_service.api.auth import AccessDep, CallerDep
from qa_service.api.bodies import UniqueKeysRoute

router = APIRouter(prefix="/v1", tags=["keys"], route_class=UniqueKeysRoute)


class KeyIn(BaseModel):
    # A misspelled "origin" would make a key usable from any page: 422 naming it.
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, examples=["news-widget"])
    scope: Scope = Field(examples=["read"])
    origins: list[str] = Field(
        [],
        max_length=20,
        description="Pages allowed to use the key (the widget's site), e.g. https://site.example. "
        "An origin-bound key is accepted only from them; they join the CORS allow-list.",
    )


class KeyOut(BaseModel):
    name: str
    scope: Scope
    origins: list[str]
    prefix: str = Field(description="The key's first characters, to recognise it; not secret.")
    created_at: float
    last_used_at: float | None
    revoked: bool
    revoked_at: float | None


class KeyCreated(KeyOut):
    key: str = Field(description="The key itself, shown this once; only its hash is stored.")


class KeyList(BaseModel):
    items: list[KeyOut]


class AuditEntryOut(BaseModel):
    at: float
    key_name: str | None = Field(description="The key that wrote; null: anonymous or the CLI.")
    action: str = Field(examples=["document.create"])
    document_id: str | None
    content_hash: str | None
    detail: str | None


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    offset: int
    limit: int


@router.post("/keys", response_model=KeyCreated, status_code=201)
async def create_key(body: KeyIn, access: AccessDep, caller: CallerDep) -> dict[str, Any]:
    """Create a key. The response holds the key itself, the only time it is shown."""
    key, secret = await run_in_threadpool(
        access.create, body.name, body.scope, body.origins, caller.key
    )
    return {**public(key), "key": secret}


@router.get("/keys", response_model=KeyList)
async def list_keys(access: AccessDep) -> dict[str, Any]:
    """Every key with its scope, origins, prefix and times; never the key or its hash."""
    return {"items": [public(k) for k in await run_in_threadpool(access.all_keys)]}


@router.delete("/keys/{name}", status_code=204)
async def revoke_key(
    name: Annotated[str, Path(min_length=1, max_length=64)], access: AccessDep, caller: CallerDep
) -> Response:
    """Revoke a key: from now on it gets 401 (the record stays, for the audit log).
    The last active admin key cannot be revoked here (409 `LastAdminKey`): create another
    admin key first."""
    await run_in_threadpool(access.revoke, name, caller.key, keep_an_admin=True)
    return Response(status_code=204)


@router.get("/audit", response_model=AuditPage)
async def audit(
    access: AccessDep,
    offset: int = Query(0, ge=0, le=2**62),
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    """Every write, newest first: time, key name, action, document id, content hash."""
    entries = await run_in_threadpool(access.audit, limit, offset)
    return {"items": [asdict(e) for e in entries], "offset": offset, "limit": limit}
