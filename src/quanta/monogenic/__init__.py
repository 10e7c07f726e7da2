"""Monogenic vs polygenic tokens (paper §4.2, Figures 4 and 12).

:mod:`~quanta.monogenic.curves` holds the per-token curve operations and the breakthroughness
score, :mod:`~quanta.monogenic.criteria` the paper's criteria, their rescaling and the classification,
:mod:`~quanta.monogenic.gallery` the gallery of curves beside their contexts, and
:mod:`~quanta.monogenic.analysis` runs both on the suites of :mod:`quanta.lm`, and
:mod:`~quanta.monogenic.groundtruth` checks them against the planted skills.
"""

from quanta.monogenic.analysis import (CORPORA, CRITERIA_MODES, UNLABELLED, CorpusAnalysis,  # noqa: F401
                                       MonogenicConfig, analyze, comparison_rows, confusion, criteria_for,
                                       criteria_table, group_table, preset, run, run_corpus, skill_note,
                                       suite_config, synthetic_check)
from quanta.monogenic.groundtruth import (STATUSES, SkillCurves, agreement_baseline,  # noqa: F401
                                          family_summary, group_curves, rank_correlation, skill_curve_table,
                                          skill_family_table, skill_table, status_text, study_skill_curves)
from quanta.monogenic.criteria import *  # noqa: F401,F403
from quanta.monogenic.curves import *  # noqa: F401,F403
from quanta.monogenic.gallery import (Example, attach_contexts, context_parts, curve_svg,  # noqa: F401
                                      gallery_html, select_examples)
