"""One router per feature; each calls one service."""
