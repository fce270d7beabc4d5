"""Conversations and follow-up questions on top of the extractive answerer."""
