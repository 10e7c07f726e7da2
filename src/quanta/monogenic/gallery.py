"""A gallery of per-token scaling curves beside their contexts (paper Figures 4 and 12).

Paper §4.2. The paper shows, for a few tokens, the loss against model size next to the text that
precedes the token, with the predicted token highlighted: a monogenic token ("… Singh| Sir|sa") whose
loss collapses at one size, a polygenic one ("spoiled by an| inf|estation") whose loss falls smoothly.
This module picks such examples from a :class:`~quanta.monogenic.curves.TokenClasses` (honestly
labelled when no token meets a criterion and the sharpest or smoothest token stands in), cuts their
contexts out of the token stream, and renders the gallery as one HTML table: an inline SVG of each
curve, its numbers, and the escaped context with the target token marked.
"""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from quanta.monogenic.criteria import TokenClasses
from quanta.monogenic.curves import LN2
from quanta.validate import check_int

#: Background of the highlighted target token (a light, colour-blind safe orange).
HIGHLIGHT = "#fdd49e"
#: Curve colours per gallery kind (Okabe–Ito blue, vermillion, grey).
KIND_COLOURS = {"monogenic": "#D55E00", "polygenic": "#0072B2",
                "sharpest": "#E69F00", "smoothest": "#56B4E9"}


@dataclass(frozen=True)
class Example:
    """One gallery entry.

    Attributes
    ----------
    label : str
        ``"a"``, ``"b"``, …: shared by the figure panel and the HTML row.
    kind : str
        ``"monogenic"`` / ``"polygenic"`` (criterion met) or ``"sharpest"`` / ``"smoothest"`` (the
        highest / lowest breakthroughness token standing in where no token meets the criterion).
    index : int
        Row of the token in the loss array.
    left, target, right : str
        Decoded context before the token, the token, and the text after it.
    note : str
        Extra line for the gallery table (e.g. the planted skill that predicts the token).
    """

    label: str
    kind: str
    index: int
    left: str = ""
    target: str = ""
    right: str = ""
    note: str = ""


def select_examples(classes: TokenClasses, *, n_monogenic: int = 3, n_polygenic: int = 3,
                    token_ids=None, seed: int = 0) -> list[Example]:
    """Pick gallery tokens: monogenic ones spread over drop sizes, polygenic ones at random.

    Monogenic picks cycle over the drop sizes that occur (one random token per size, smallest size
    first) so the gallery shows drops at different scales. Where too few tokens meet a criterion, the
    remaining slots go to the tokens with the highest breakthroughness (``"sharpest"``; ties broken by
    the larger net loss drop) or, for the
    polygenic side, the steepest tokens with the lowest breakthroughness (``"smoothest"``).

    Parameters
    ----------
    classes : TokenClasses
    n_monogenic, n_polygenic : int
        Slots of each side.
    token_ids : array_like, shape (T,), optional
        Target token ids: no two picks of one side share a target token.
    seed : int

    Returns
    -------
    list of Example
        Without context text (see :func:`attach_contexts`).
    """
    check_int("n_monogenic", n_monogenic, min=0)
    check_int("n_polygenic", n_polygenic, min=0)
    check_int("seed", seed, min=0)
    rng = np.random.default_rng(seed)
    ids = None if token_ids is None else np.asarray(token_ids)
    if ids is not None and ids.shape != (classes.n_tokens,):
        raise ValueError(f"token_ids must have shape ({classes.n_tokens},), got {ids.shape}")
    used: set[int] = set()

    def take(candidates, n, seen):
        out = []
        for i in candidates:
            i = int(i)
            key = int(ids[i]) if ids is not None else i
            if len(out) == n:
                break
            if i in used or key in seen:
                continue
            out.append(i)
            used.add(i)
            seen.add(key)
        return out

    picks: list[tuple[str, int]] = []
    seen: set[int] = set()
    by_size = [rng.permutation(np.flatnonzero(classes.drop_index == j))
               for j in range(1, classes.sizes.size)]
    order = []
    for r in range(max((len(c) for c in by_size), default=0)):
        order.extend(c[r] for c in by_size if r < len(c))
    picks += [("monogenic", i) for i in take(order, n_monogenic, seen)]
    score = np.where(np.isfinite(classes.score), classes.score, -np.inf)
    # highest score first; among equal scores (steps score exactly 1) the largest net drop
    sharp = [i for i in np.lexsort((-classes.net_drop, -np.round(score, 6))) if np.isfinite(classes.score[i])]
    picks += [("sharpest", i) for i in take(sharp, n_monogenic - len(picks), seen)]

    seen = set()
    poly = take(rng.permutation(np.flatnonzero(classes.polygenic)), n_polygenic, seen)
    picks += [("polygenic", i) for i in poly]
    smooth_pool = np.flatnonzero(np.isfinite(classes.score) & (classes.slope < 0))
    smooth = smooth_pool[np.lexsort((-classes.r2[smooth_pool], classes.score[smooth_pool]))]
    picks += [("smoothest", i) for i in take(smooth, n_polygenic - len(poly), seen)]
    return [Example(label=chr(ord("a") + k), kind=kind, index=i) for k, (kind, i) in enumerate(picks)]


def context_parts(ids: Sequence[int], position: int, decode: Callable[[list[int]], str], *,
                  before: int = 40, after: int = 5) -> tuple[str, str, str]:
    """Cut the text around one predicted token.

    Parameters
    ----------
    ids : sequence of int, shape (L,)
        Token ids of the whole document.
    position : int
        Index in ``ids`` of the predicted (target) token, ≥ 1.
    decode : callable
        ``decode(list_of_ids) -> str`` (a tokenizer's ``decode``).
    before, after : int
        Tokens of context kept before and after the target (paper: 38–60 before, 5 after).

    Returns
    -------
    left, target, right : str
    """
    check_int("position", position, min=0, max=len(ids) - 1)
    check_int("before", before, min=0)
    check_int("after", after, min=0)
    ids = [int(t) for t in ids]
    start, stop = max(0, position - before), min(len(ids), position + 1 + after)
    # decode growing prefixes so the pieces keep the spacing the tokenizer puts between tokens
    left = decode(ids[start:position])
    upto = decode(ids[start:position + 1])
    whole = decode(ids[start:stop])
    target = upto[len(left):] if upto.startswith(left) else decode([ids[position]])
    right = whole[len(upto):] if whole.startswith(upto) else decode(ids[position + 1:stop])
    return ("…" if start > 0 else "") + left, target, right + ("…" if stop < len(ids) else "")


def attach_contexts(examples: Sequence[Example], contexts: Sequence[tuple[str, str, str]]
                    ) -> list[Example]:
    """Return the examples with their (left, target, right) context text filled in."""
    if len(examples) != len(contexts):
        raise ValueError(f"contexts must have one entry per example ({len(examples)}), got {len(contexts)}")
    return [dataclasses.replace(e, left=str(c[0]), target=str(c[1]), right=str(c[2]))
            for e, c in zip(examples, contexts)]


def _visible(target: str) -> str:
    """Make a whitespace-only target token visible."""
    if target.strip():
        return target
    return target.replace(" ", "␣").replace("\t", "⇥").replace("\n", "↵\n") or "∅"


def _fmt_size(n: float) -> str:
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= div:
            return f"{n / div:.3g}{suffix}"
    return f"{n:.3g}"


def curve_svg(curve, sizes, *, high: float | None = None, low: float | None = None,
              colour: str = "#0072B2", width: int = 190, height: int = 110) -> str:
    """Inline SVG of one token's loss (bits) against model size (log x).

    Parameters
    ----------
    curve : array_like, shape (M,)
        Loss in nats, ordered like ``sizes``.
    sizes : array_like, shape (M,)
    high, low : float, optional
        Monogenic thresholds in nats, drawn as dashed lines.
    """
    y = np.asarray(curve, dtype=float) / LN2
    x = np.log(np.asarray(sizes, dtype=float))
    refs = [v / LN2 for v in (high, low) if v is not None]
    ymax = max(float(np.max(y)), *(refs or [0.0])) * 1.08 or 1.0
    ml, mr, mt, mb = 30, 8, 6, 30
    pw, ph = width - ml - mr, height - mt - mb
    px = ml + (x - x.min()) / max(x.max() - x.min(), 1e-12) * pw
    py = mt + ph - y / ymax * ph
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" style="font:9px sans-serif">',
             f'<line x1="{ml}" y1="{mt + ph}" x2="{ml + pw}" y2="{mt + ph}" stroke="#444"/>',
             f'<line x1="{ml}" y1="{mt}" x2="{ml}" y2="{mt + ph}" stroke="#444"/>']
    for v in refs:
        yv = mt + ph - v / ymax * ph
        parts.append(f'<line x1="{ml}" y1="{yv:.1f}" x2="{ml + pw}" y2="{yv:.1f}" stroke="#999" '
                     'stroke-dasharray="3,3"/>')
    pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py))
    parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
    parts += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.2" fill="{colour}"/>' for a, b in zip(px, py)]
    parts += [f'<text x="{ml - 3}" y="{mt + ph}" text-anchor="end">0</text>',
              f'<text x="{ml - 3}" y="{mt + 8}" text-anchor="end">{ymax:.1f}</text>',
              f'<text x="{ml}" y="{height - 17}" text-anchor="start">{_fmt_size(np.exp(x.min()))}</text>',
              f'<text x="{ml + pw}" y="{height - 17}" text-anchor="end">{_fmt_size(np.exp(x.max()))}</text>',
              f'<text x="{ml + pw / 2:.0f}" y="{height - 4}" text-anchor="middle">parameters</text>',
              f'<text x="9" y="{mt + ph / 2:.0f}" text-anchor="middle" '
              f'transform="rotate(-90 9 {mt + ph / 2:.0f})">loss (bits)</text>', "</svg>"]
    return "".join(parts)


def _describe(classes: TokenClasses, e: Example) -> str:
    i, s = e.index, classes.sizes
    if e.kind == "monogenic":
        j = int(classes.drop_index[i])
        what = f"monogenic: drop at {_fmt_size(s[j])}"
    elif e.kind == "sharpest":
        g = int(classes.gap[i])
        what = f"sharpest (criterion not met): largest drop {_fmt_size(s[g])}→{_fmt_size(s[g + 1])}"
    elif e.kind == "polygenic":
        what = "polygenic"
    else:
        what = "smoothest (criterion not met)"
    note = f"<br/>{html.escape(e.note)}" if e.note else ""
    return (f"<b>({e.label})</b> {html.escape(what)}<br/>slope {classes.slope[i]:.2f} nats/e-fold, "
            f"R² {classes.r2[i]:.3f}<br/>breakthroughness {classes.score[i]:.2f}{note}")


def gallery_html(classes: TokenClasses, examples: Sequence[Example], *, caption: str = "") -> str:
    """One HTML table: curve, numbers and highlighted context for every example.

    All text from the corpus is escaped with :func:`html.escape`; the context keeps its line breaks.

    Parameters
    ----------
    classes : TokenClasses
    examples : sequence of Example
        With contexts attached.
    caption : str
        Plain text placed above the table (escaped).

    Returns
    -------
    str
        HTML fragment (for ``IPython.display.HTML``).
    """
    if not isinstance(classes, TokenClasses):
        raise TypeError(f"classes must be a TokenClasses, got {type(classes).__name__}")
    cr = classes.criteria
    rows = []
    for e in examples:
        if not 0 <= e.index < classes.n_tokens:
            raise ValueError(f"example {e.label!r}: index {e.index} outside 0..{classes.n_tokens - 1}")
        svg = curve_svg(classes.losses[e.index], classes.sizes, high=cr.mono_high, low=cr.mono_low,
                        colour=KIND_COLOURS.get(e.kind, "#0072B2"))
        ctx = (f'{html.escape(e.left)}<mark style="background:{HIGHLIGHT};padding:0 1px;'
               f'border-radius:2px;font-weight:bold">{html.escape(_visible(e.target))}</mark>'
               f'{html.escape(e.right)}')
        rows.append(
            f'<tr><td style="vertical-align:top;padding:4px">{svg}</td>'
            f'<td style="vertical-align:top;padding:4px;font-size:85%;min-width:11em">'
            f'{_describe(classes, e)}</td>'
            f'<td style="vertical-align:top;padding:4px"><pre style="white-space:pre-wrap;'
            f'word-break:break-word;margin:0;font-size:80%;max-width:38em">{ctx}</pre></td></tr>')
    head = f'<p style="font-size:90%">{html.escape(caption)}</p>' if caption else ""
    return (f'<div class="quanta-gallery">{head}<table style="border-collapse:collapse">'
            f'{"".join(rows)}</table></div>')
