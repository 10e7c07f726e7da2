"""Planted quanta: a synthetic language whose skills, frequencies and per-token labels are known.

See :mod:`quanta.planted.language` for the language, :mod:`quanta.planted.oracle` for the predictor
that knows every skill, :mod:`quanta.planted.corpus` for the corpus interface of the model suites and
:mod:`quanta.planted.scoring` for scoring a clustering of tokens against the planted skills.
"""

from .corpus import PlantedCorpus, corpus
from .language import FAMILIES, Language, PlantedConfig, Vocabulary, preset, skill_probs, skill_tables
from .oracle import oracle_next, oracle_predictions
from .tokenizer import build_tokenizer

__all__ = ["FAMILIES", "Language", "PlantedConfig", "PlantedCorpus", "Vocabulary", "build_tokenizer", "corpus",
           "oracle_next", "oracle_predictions", "preset", "skill_probs", "skill_tables"]
