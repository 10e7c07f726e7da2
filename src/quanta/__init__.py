"""quanta: runnable companion to *The Quantization Model of Neural Scaling*.

Michaud, Liu, Girit, Tegmark (NeurIPS 2023, arXiv:2303.13506). The library holds the science
(closed forms, simulations, trainers, analyses); the notebooks in ``notebooks/`` only call it.
"""

__version__ = "0.1.0"

PAPER_CITATION = (
    "Eric J. Michaud, Ziming Liu, Uzay Girit, Max Tegmark. The Quantization Model of Neural Scaling. "
    "Advances in Neural Information Processing Systems 36 (NeurIPS 2023). arXiv:2303.13506."
)
