"""The HTTP edge: FastAPI app, dependencies, error mapping and routers."""
