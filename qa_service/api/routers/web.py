"""The chat page at / and the embeddable widget script at /widget.js."""

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

router = APIRouter(tags=["web"], include_in_schema=False)
_WEB = files("qa_service") / "web"

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
    return Response(
        (_WEB / "widget.js").read_text(encoding="utf-8"),
        media_type="text/javascript; charset=utf-8",
        headers={"cache-control": "public, max-age=300"},
    )
