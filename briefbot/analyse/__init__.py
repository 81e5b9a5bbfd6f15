"""NLP analysis engine: actors, quotes, positions, key points and story grouping.

Pure functions over text: an ``ArticleText`` (``briefbot.model``; files and pages are
loaded by ``briefbot.ingest.loader``) goes in, an ``Analysis`` comes out. Importing this
package does not import spaCy; the model is loaded lazily, once per process, on the first
analysis.
"""

from __future__ import annotations

from .engine import Analyser, analyse_doc
from .model import ModelUnavailable, load_model, model_available
from .results import Actor, Analysis, Position, Quote
from .text import ArticleText, prepare  # ArticleText is briefbot.model.ArticleText

__all__ = [
    "Actor",
    "Analyser",
    "Analysis",
    "ArticleText",
    "ModelUnavailable",
    "Position",
    "Quote",
    "analyse_doc",
    "load_model",
    "model_available",
    "prepare",
]
