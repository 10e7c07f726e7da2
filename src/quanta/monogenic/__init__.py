"""Monogenic vs polygenic tokens (paper §4.2, Figures 4 and 12).

:mod:`~quanta.monogenic.curves` holds the criteria and the breakthroughness score,
:mod:`~quanta.monogenic.gallery` the gallery of curves beside their contexts.
"""
from quanta.monogenic.curves import *  # noqa: F401,F403
