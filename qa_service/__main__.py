from qa_service.cli import app

app(prog_name="qa-service")
