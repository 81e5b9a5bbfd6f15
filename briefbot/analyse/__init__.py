"""NLP analysis engine: actors, quotes, positions, key points and story grouping.

Pure functions over text. Importing this package does not import spaCy; the model is
loaded lazily, once per process, on the first analysis.
"""

from __future__ import annotations

from .engine import Analyser, analyse_doc
from .model import ModelUnavailable, load_model, model_available
from .results import Actor, Analysis, Position, Quote
from .text import ArticleText, load_input, prepare

__all__ = [
    "Actor",
    "Analyser",
    "Analysis",
    "ArticleText",
    "ModelUnavailable",
    "Position",
    "Quote",
    "analyse_doc",
    "load_input",
    "load_model",
    "model_available",
    "prepare",
]
