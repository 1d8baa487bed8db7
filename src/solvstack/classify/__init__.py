"""Classifiers: decide HIGH / LOW / NO / RAG for the user's current turn."""

from solvstack.classify.base import Classifier, Conversation

__all__ = ["Classifier", "Conversation"]
