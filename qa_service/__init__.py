"""qa_service: question answering over news articles with exact, verified citation spans."""

__version__ = "0.1.0"
