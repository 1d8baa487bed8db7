"""Classifiers: decide HIGH / LOW / NO / RAG from the human's own words (:func:`solvstack.core.decide.decide` calls
them)."""

from solvstack.core.classify.base import Classifier, Conversation

__all__ = ["Classifier", "Conversation"]
