"""The chat page at / and the embeddable widget script at /widget.js."""

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

router = APIRouter(tags=["web"], include_in_schema=False)
_WEB = files("qa_service") / "web"


@router.get("/", response_class=HTMLResponse)
def chat_page() -> HTMLResponse:
    """A full-page chat over the articles, built from the widget."""
    return HTMLResponse((_WEB / "index.html").read_text(encoding="utf-8"))


@router.get("/widget.js")
def widget() -> Response:
    """Embed with <script src=".../widget.js" defer></script>."""
    return Response(
        (_WEB / "widget.js").read_text(encoding="utf-8"),
        media_type="text/javascript; charset=utf-8",
        headers={"cache-control": "public, max-age=300"},
    )
