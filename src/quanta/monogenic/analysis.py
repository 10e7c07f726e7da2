"""The monogenic / polygenic analysis of a model suite, and its check against planted ground truth.

Paper §4.2. The paper can only *show* monogenic and polygenic tokens; on the planted-quanta language
we know which skill predicts every token, so the classification can be scored: every labelled token
needs exactly one quantum (its skill), unlabelled tokens (triggers, random inputs, filler) cannot be
predicted by any. If the quantization model's picture is right, labelled tokens of a skill drop
together at the size where the suite learns that skill, rarer skills at larger sizes, while
unlabelled tokens never show a drop. This module runs the criteria of
:mod:`quanta.monogenic.curves` on a suite's per-token losses, tabulates them per group (skill family,
skill), and builds the gallery.

Shapes: T tokens, M models, K skills.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quanta.monogenic.criteria import Criteria, TokenClasses, classify, paper_criteria, rescaled_criteria
from quanta.validate import check_choice, check_int, check_scale

CRITERIA_MODES = ("rescaled", "paper")
#: The corpora of the chapter, in page order.
CORPORA = ("python-stdlib", "planted")
#: Group name of planted tokens that no skill predicts.
UNLABELLED = "unlabelled"


@dataclass(frozen=True)
class MonogenicConfig:
    """Settings of the chapter's analysis (the suites themselves are configured in :mod:`quanta.lm`).

    Parameters
    ----------
    scale : {"smoke", "small", "paper"}
        Preset of the model suites whose per-token losses are analysed.
    criteria : {"rescaled", "paper"}
        Thresholds: the paper's, or the paper's rescaled to the suite's loss scale
        (:func:`quanta.monogenic.curves.rescaled_criteria`).
    n_monogenic, n_polygenic : int
        Gallery slots of each side.
    context_before, context_after : int
        Tokens of context shown before and after the target (paper: 38–60 and 5).
    min_skill_tokens : int
        Skills with fewer scored test tokens are left out of the per-skill table.
    seed : int
        Seeds the gallery picks and the scatter subsample.
    device : str
        Where suites are trained or evaluated if they are not cached.
    """

    scale: str = "small"
    criteria: str = "rescaled"
    n_monogenic: int = 3
    n_polygenic: int = 3
    context_before: int = 40
    context_after: int = 5
    min_skill_tokens: int = 5
    seed: int = 0
    device: str = "auto"

    def __post_init__(self):
        check_scale(self.scale)
        check_choice("criteria", self.criteria, CRITERIA_MODES)
        check_int("n_monogenic", self.n_monogenic, min=0, max=26)
        check_int("n_polygenic", self.n_polygenic, min=0, max=26)
        if self.n_monogenic + self.n_polygenic > 26:
            raise ValueError(f"n_monogenic + n_polygenic must be at most 26 (one letter each), got "
                             f"{self.n_monogenic + self.n_polygenic}")
        check_int("context_before", self.context_before, min=0)
        check_int("context_after", self.context_after, min=0)
        check_int("min_skill_tokens", self.min_skill_tokens, min=1)
        check_int("seed", self.seed, min=0)


PRESETS = {
    "smoke": dict(n_monogenic=2, n_polygenic=2, context_before=20, min_skill_tokens=2),
    "small": dict(n_monogenic=3, n_polygenic=3),
    "paper": dict(n_monogenic=4, n_polygenic=4, context_before=50),
}


def preset(scale: str = "small", *, seed: int = 0, device: str = "auto", **overrides) -> MonogenicConfig:
    """Configuration for ``scale`` (``smoke``, ``small``, ``paper``); ``overrides`` replace fields."""
    check_scale(scale)
    fields = {f.name for f in dataclasses.fields(MonogenicConfig)}
    bad = sorted(set(overrides) - fields)
    if bad:
        raise TypeError(f"unknown MonogenicConfig field(s) {bad}; allowed: {sorted(fields)}")
    return MonogenicConfig(**{**PRESETS[scale], "scale": scale, "seed": seed, "device": device, **overrides})


def criteria_for(losses, sizes, mode: str = "rescaled") -> Criteria:
    """The paper's criteria (``"paper"``) or their translation to this suite (``"rescaled"``)."""
    check_choice("criteria", mode, CRITERIA_MODES)
    return paper_criteria() if mode == "paper" else rescaled_criteria(losses, sizes)


def group_table(classes: TokenClasses, groups, *, order=None) -> pd.DataFrame:
    """Shares of monogenic, polygenic and sharp tokens per group.

    Parameters
    ----------
    classes : TokenClasses
    groups : array_like, shape (T,)
        Group of every token (e.g. skill family, or ``"unlabelled"``).
    order : sequence, optional
        Row order (groups absent from the data are dropped).

    Returns
    -------
    pandas.DataFrame
        Index = group; columns ``n`` (tokens), ``share_monogenic``, ``share_polygenic``,
        ``share_scored`` (net drop ≥ ``min_drop``), ``share_sharp`` (breakthroughness > 1/2; all shares
        over all tokens of the group), ``median_score`` (over scored tokens).
    """
    groups = np.asarray(groups, dtype=object)
    if groups.shape != (classes.n_tokens,):
        raise ValueError(f"groups must have shape ({classes.n_tokens},), got {groups.shape}")
    scored = np.isfinite(classes.score)
    df = pd.DataFrame({"group": groups, "mono": classes.monogenic, "poly": classes.polygenic,
                       "scored": scored, "sharp": scored & (np.nan_to_num(classes.score) > 0.5),
                       "score": classes.score})
    g = df.groupby("group", sort=False)
    out = pd.DataFrame({"n": g.size(), "share_monogenic": g["mono"].mean(), "share_polygenic": g["poly"].mean(),
                        "share_scored": g["scored"].mean(), "share_sharp": g["sharp"].mean(),
                        "median_score": g["score"].median()})
    if order is not None:
        out = out.reindex([o for o in order if o in out.index])
    out.index.name = "group"
    return out


def analyze(losses, sizes, mode: str = "rescaled") -> TokenClasses:
    """Classify every token of a (T, M) loss array under the chosen criteria."""
    return classify(losses, sizes, criteria_for(losses, sizes, mode))


# --------------------------------------------------------------------------------------------------
# Running the analysis on a suite of quanta.lm
# --------------------------------------------------------------------------------------------------



@dataclass(frozen=True)
class CorpusAnalysis:
    """The analysis of one corpus's suite.

    Attributes
    ----------
    corpus : str
    classes : TokenClasses
        Over the T test tokens, M final models.
    token : ndarray, shape (T,)
        Predicted token ids.
    examples : list of Example
        Gallery, contexts attached.
    family : ndarray, shape (T,) of str, or None
        Planted corpus: family of the skill that predicts each token (:data:`UNLABELLED` for none).
    skills : ndarray, shape (T,), or None
        Planted corpus: skill id per token (−1 none).
    skill_family : ndarray, shape (K,), or None
        Planted corpus: family of each skill id.
    suite_key : str
        Cache key material of the suite (for provenance).
    """

    corpus: str
    classes: TokenClasses
    token: np.ndarray
    examples: list
    family: np.ndarray | None = None
    skills: np.ndarray | None = None
    skill_family: np.ndarray | None = None
    families: tuple = ()
    suite_key: str = ""


def suite_config(corpus: str, scale: str, *, seed: int = 0):
    """The :mod:`quanta.lm` suite configuration of ``corpus`` at ``scale`` (the one every LLM chapter uses)."""
    from quanta.lm.suite import preset as lm_preset

    check_choice("corpus", corpus, CORPORA)
    check_scale(scale)
    return lm_preset(scale, corpus=corpus, seed=seed)


def run_corpus(cfg: MonogenicConfig, corpus: str) -> CorpusAnalysis:
    """Classify every test token of ``corpus``'s suite, pick and cut the gallery, attach ground truth.

    The suite and its per-token losses come from :func:`quanta.lm.losses.token_losses` (cached: the
    LLM-losses chapter trains and evaluates the very same suite).
    """
    from quanta.lm.losses import token_losses
    from quanta.lm.suite import cache_config, resolve_corpus, suite_tokenizer, test_docs
    from quanta.monogenic.gallery import attach_contexts, context_parts, select_examples

    if not isinstance(cfg, MonogenicConfig):
        raise TypeError(f"cfg must be a MonogenicConfig, got {type(cfg).__name__}")
    scfg = suite_config(corpus, cfg.scale, seed=cfg.seed)
    tl = token_losses(scfg, device=cfg.device).final()
    classes = analyze(tl.losses, tl.n_params, cfg.criteria)
    examples = select_examples(classes, n_monogenic=cfg.n_monogenic, n_polygenic=cfg.n_polygenic,
                               token_ids=tl.token, seed=cfg.seed)
    docs, tok = test_docs(scfg), suite_tokenizer(scfg)
    decode = lambda ids: tok.decode(ids, skip_special_tokens=False,  # noqa: E731
                                    clean_up_tokenization_spaces=False)
    contexts = [context_parts(docs.doc(int(tl.doc[e.index])), int(tl.pos[e.index]), decode,
                              before=cfg.context_before, after=cfg.context_after) for e in examples]
    out = dict(corpus=corpus, classes=classes, token=tl.token, examples=attach_contexts(examples, contexts),
               suite_key=str(cache_config(scfg)))
    if tl.labels is not None:
        src = resolve_corpus(scfg)
        fam = np.asarray(src.skill_family).astype(str)
        labels = np.asarray(tl.labels)
        out.update(skills=labels, skill_family=fam,
                   family=np.where(labels >= 0, fam[np.maximum(labels, 0)], UNLABELLED).astype(object),
                   families=tuple(src.cfg.families) + (UNLABELLED,))
        out["examples"] = [dataclasses.replace(e, note=skill_note(int(labels[e.index]), fam))
                           for e in out["examples"]]
    return CorpusAnalysis(**out)


def skill_note(skill: int, skill_family) -> str:
    """Gallery line naming the planted skill that predicts a token."""
    if skill < 0:
        return "ground truth: no skill predicts it"
    return f"ground truth: skill {skill} ({skill_family[skill]}), frequency rank {skill + 1}"


def run(cfg: MonogenicConfig, corpora=CORPORA) -> dict[str, CorpusAnalysis]:
    """:func:`run_corpus` for every corpus of the chapter: ``{corpus: CorpusAnalysis}``."""
    for c in corpora:
        check_choice("corpora", c, CORPORA)
    return {c: run_corpus(cfg, c) for c in corpora}


def synthetic_check(cfg: MonogenicConfig, *, n_per_kind: int = 200) -> dict:
    """The paper's criteria on curves of known kind over Pythia's sizes.

    Returns
    -------
    dict
        ``classes`` (TokenClasses), ``kind`` (true kinds, shape (T,)), ``table`` (:func:`confusion`)
        and ``accuracy`` (share of steps classed monogenic, declines polygenic, noise neither).
    """
    from quanta.monogenic.criteria import PAPER_SIZES
    from quanta.monogenic.curves import synthetic_curves

    if not isinstance(cfg, MonogenicConfig):
        raise TypeError(f"cfg must be a MonogenicConfig, got {type(cfg).__name__}")
    losses, kind = synthetic_curves(PAPER_SIZES, n_per_kind=n_per_kind, seed=cfg.seed)
    classes = classify(losses, PAPER_SIZES, paper_criteria())
    expected = np.array([{"step": "monogenic", "powerlaw": "polygenic", "noise": "neither"}[k] for k in kind])
    accuracy = float((classes.kind() == expected).mean())
    return {"classes": classes, "kind": kind, "table": confusion(classes, kind), "accuracy": accuracy}


def confusion(classes: TokenClasses, truth) -> pd.DataFrame:
    """Counts of (true kind, assigned class): rows = true kinds, columns monogenic / polygenic / neither."""
    truth = np.asarray(truth, dtype=object)
    if truth.shape != (classes.n_tokens,):
        raise ValueError(f"truth must have shape ({classes.n_tokens},), got {truth.shape}")
    tab = pd.crosstab(pd.Series(truth, name="true kind"), pd.Series(classes.kind(), name="class"))
    return tab.reindex(columns=["monogenic", "polygenic", "neither"], fill_value=0)


def criteria_table(by_corpus: dict) -> pd.DataFrame:
    """The paper's thresholds beside their translation to each suite (nats; rows = thresholds)."""
    paper = paper_criteria()
    rows = {"monogenic: loss above, below the drop (nats)": "mono_high",
            "monogenic: loss below, at and above the drop (nats)": "mono_low",
            "polygenic: slope of loss vs ln N below (nats per e-fold)": "poly_slope",
            "polygenic: R² above": "poly_r2",
            "breakthroughness: net drop at least (nats)": "min_drop"}
    data = {"paper (Pythia)": [getattr(paper, f) for f in rows.values()]}
    for name, a in by_corpus.items():
        cr = a.classes.criteria if isinstance(a, CorpusAnalysis) else a.criteria
        data[name] = [getattr(cr, f) for f in rows.values()]
    return pd.DataFrame(data, index=list(rows)).round(3)


def comparison_rows(by_corpus: dict[str, CorpusAnalysis]) -> list[dict]:
    """Rows for :func:`quanta.report.comparison_table`: our suites beside the paper's Pythia setting."""
    from quanta.monogenic.criteria import PAPER_SIZES, paper_loss_scale, suite_loss_scale, summary

    def ours(f):
        return {f"ours ({k})": f(a) for k, a in by_corpus.items()}

    paper = paper_criteria()
    dec = lambda s: float(np.log10(s[-1] / s[0]))  # noqa: E731
    return [
        {"quantity": "models in the suite", **ours(lambda a: a.classes.sizes.size),
         "paper": len(PAPER_SIZES), "paper source": "§4 (Pythia 19m–6.4b)"},
        {"quantity": "decades of non-embedding N spanned", **ours(lambda a: round(dec(a.classes.sizes), 2)),
         "paper": round(dec(np.asarray(PAPER_SIZES, float)), 2), "paper source": "§4 (non-embedding N)"},
        {"quantity": "mean-loss slope vs ln N (nats per e-fold)",
         **ours(lambda a: round(suite_loss_scale(a.classes.losses, a.classes.sizes)["slope"], 3)),
         "paper": round(paper_loss_scale()["slope"], 3), "paper source": "Fig. 3 (means read off the figure)"},
        {"quantity": "monogenic threshold above / below (nats)",
         **ours(lambda a: f"{a.classes.criteria.mono_high:.2f} / {a.classes.criteria.mono_low:.2f}"),
         "paper": f"{paper.mono_high:.1f} / {paper.mono_low:.1f}", "paper source": "authors' code, Figs. 4, 12"},
        {"quantity": "polygenic slope / R² thresholds",
         **ours(lambda a: f"{a.classes.criteria.poly_slope:.2f} / {a.classes.criteria.poly_r2:.2f}"),
         "paper": f"{paper.poly_slope:.1f} / {paper.poly_r2:.2f}", "paper source": "authors' code, Figs. 4, 12"},
        {"quantity": "monogenic tokens (share of test tokens)",
         **ours(lambda a: f"{summary(a.classes)['share_monogenic']:.2%}"),
         "paper": "examples only", "paper source": "Figs. 4, 12"},
        {"quantity": "polygenic tokens (share of test tokens)",
         **ours(lambda a: f"{summary(a.classes)['share_polygenic']:.2%}"),
         "paper": "examples only", "paper source": "Figs. 4, 12"},
    ]
