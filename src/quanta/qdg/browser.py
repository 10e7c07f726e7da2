"""Cluster browser: contexts of the tokens of each QDG cluster, predicted token highlighted (Figures 1, 13).

The paper shows a cluster as a stack of short contexts, each ending in the token the model predicted,
highlighted. :func:`cluster_contexts` cuts those contexts for a :class:`~quanta.qdg.pipeline.QDGRun`;
:func:`browser_html` renders them as self-contained, escaped HTML (collapsible clusters), which the
rendered book shows as is.
"""

from __future__ import annotations

import html

import numpy as np

from ..validate import check_int


def cluster_contexts(run, tokenizer, docs, *, k: int | None = None, clusters=None, per_cluster: int = 8,
                     before: int = 30, after: int = 4, seed: int = 0) -> list[dict]:
    """Contexts of up to ``per_cluster`` random members of each chosen cluster of the clustering with K = ``k``.

    Parameters
    ----------
    run : QDGRun
    tokenizer : a transformers tokenizer (``decode``)
    docs : TokenizedDocs (the suite's test documents)
    k : int, optional
        Number of clusters (default ``run.shown_k``).
    clusters : sequence of int, optional
        Cluster ids (0 = largest); default all.

    Returns
    -------
    list of dict with ``cluster``, ``size``, ``skills`` (planted labels of the members or None) and
    ``contexts``: list of (left, target, right) strings.
    """
    from quanta.monogenic.gallery import context_parts

    k = run.shown_k if k is None else k
    if k not in run.labels:
        raise ValueError(f"k={k} was not clustered; choose one of {sorted(run.labels)}")
    check_int("per_cluster", per_cluster, min=1)
    labels = run.labels[k]
    clusters = range(int(labels.max()) + 1) if clusters is None else clusters
    rng = np.random.default_rng(seed)
    decode = lambda ids: tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)  # noqa: E731
    out = []
    for c in clusters:
        members = np.nonzero(labels == c)[0]
        if members.size == 0:
            continue
        pick = np.sort(rng.choice(members, size=min(per_cluster, members.size), replace=False))
        ctx = [context_parts(docs.doc(int(run.doc[i])), int(run.pos[i]), decode, before=before, after=after)
               for i in pick]
        skills = None if run.skills is None else run.skills[members]
        out.append({"cluster": int(c), "size": int(members.size), "skills": skills, "contexts": ctx})
    return out


def _visible(s: str) -> str:
    return html.escape(s).replace("\n", "<span class='nl'>\\n</span><br>")


def browser_html(entries: list[dict], *, k: int, skill_names=None, open_first: int = 2) -> str:
    """Escaped HTML: one collapsible block per cluster, each context with its predicted token highlighted.

    Parameters
    ----------
    entries : output of :func:`cluster_contexts`
    k : int (shown in headers)
    skill_names : sequence of str, optional
        Name of each planted skill id; the header then shows the cluster's majority skill and purity.
    open_first : int
        Blocks shown expanded.
    """
    style = ("<style>.qdg-b details{margin:2px 0}.qdg-b summary{cursor:pointer;font-weight:600}"
             ".qdg-b pre{white-space:pre-wrap;font-size:12px;margin:2px 0 6px 0;padding:4px;background:#f6f6f6;"
             "border-left:3px solid #0072B2}.qdg-b mark{background:#E69F00;color:#000;padding:0 1px}"
             ".qdg-b .nl{color:#999}</style>")
    parts = [style, "<div class='qdg-b'>"]
    for j, e in enumerate(entries):
        head = f"cluster {e['cluster']} of {k} — {e['size']} tokens"
        if e.get("skills") is not None and e["skills"].size:
            vals, cnt = np.unique(e["skills"], return_counts=True)
            top = int(vals[cnt.argmax()])
            name = skill_names[top] if (skill_names is not None and 0 <= top < len(skill_names)) else f"skill {top}"
            head += f" — majority planted skill: {html.escape(str(name))} ({cnt.max() / e['size']:.0%})"
        parts.append(f"<details{' open' if j < open_first else ''}><summary>{head}</summary>")
        for left, target, right in e["contexts"]:
            parts.append(f"<pre>{_visible(left)}<mark>{_visible(target)}</mark>{_visible(right)}</pre>")
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)
