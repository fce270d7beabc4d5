"""The chat page at /, the embeddable widget at /widget.js, and the API docs at /docs.

Everything the page and /docs load is served from here (Swagger UI's assets come from the
`swagger-ui-bundle` package), so both work without internet access.
"""

from importlib.resources import files
from pathlib import Path

import swagger_ui_bundle
from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

router = APIRouter(tags=["web"], include_in_schema=False)
_WEB = files("qa_service") / "web"
_SWAGGER = Path(swagger_ui_bundle.swagger_ui_path)
_SWAGGER_ASSETS = {"swagger-ui-bundle.js", "swagger-ui.css"}
_CACHE = {"cache-control": "public, max-age=300"}


def _asset(name: str, media_type: str) -> Response:
    return Response((_WEB / name).read_bytes(), media_type=media_type, headers=_CACHE)


# Scripts only from this service, no inline script, no plugins, never framed by another site.
# Styles may be inline: the widget brings its stylesheet as a <style> element.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


@router.get("/", response_class=HTMLResponse)
def chat_page() -> HTMLResponse:
    """A full-page chat over the articles, built from the widget."""
    return HTMLResponse(
        (_WEB / "index.html").read_text(encoding="utf-8"),
        headers={"content-security-policy": PAGE_CSP, "referrer-policy": "no-referrer"},
    )


@router.get("/widget.js")
def widget() -> Response:
    """Embed with <script src=".../widget.js" defer></script>."""
    return _asset("widget.js", "text/javascript; charset=utf-8")


@router.get("/page.css")
def page_style() -> Response:
    return _asset("page.css", "text/css; charset=utf-8")


@router.get("/favicon.svg")
@router.get("/favicon.ico")  # browsers ask for it on pages that name no icon (/docs did)
def favicon() -> Response:
    return _asset("favicon.svg", "image/svg+xml")


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI over /openapi.json, its script and style served from this process."""
    root = request.scope.get("root_path", "").rstrip("/")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - API docs",
        swagger_js_url=f"{root}/docs/assets/swagger-ui-bundle.js",
        swagger_css_url=f"{root}/docs/assets/swagger-ui.css",
        swagger_favicon_url=f"{root}/favicon.svg",
    )


@router.get("/docs/assets/{name}")
def api_docs_asset(name: str) -> FileResponse:
    if name not in _SWAGGER_ASSETS:
        raise HTTPException(404, f"no asset {name!r}")
    return FileResponse(_SWAGGER / name, headers=_CACHE)
