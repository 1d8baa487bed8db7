"""Classifiers: decide HIGH / LOW / NO / RAG from the human's own words (:func:`solvstack.decide.decide` calls them)."""

from solvstack.classify.base import Classifier, Conversation

__all__ = ["Classifier", "Conversation"]
