"""Turning retrieved sentences into an answer with verified citations."""
