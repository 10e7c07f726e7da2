"""Gallery selection, context cutting and HTML rendering (escaping, highlighting)."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import quanta.monogenic as mc
from quanta.monogenic import gallery as mg  # noqa: E402

SIZES = np.geomspace(2e4, 6e6, 6)


@pytest.fixture(scope="module")
def classes():
    losses, _ = mc.synthetic_curves(SIZES, n_per_kind=40, seed=0)
    return mc.classify(losses, SIZES, mc.paper_criteria())


def test_selection_spreads_monogenic_drops_and_takes_polygenic(classes):
    ex = mg.select_examples(classes, n_monogenic=4, n_polygenic=3, seed=1)
    kinds = [e.kind for e in ex]
    assert kinds == ["monogenic"] * 4 + ["polygenic"] * 3
    assert [e.label for e in ex] == list("abcdefg")
    drops = [int(classes.drop_index[e.index]) for e in ex[:4]]
    assert drops == [1, 2, 3, 4]  # one per drop size, smallest first
    assert all(classes.polygenic[e.index] for e in ex[4:])
    assert len({e.index for e in ex}) == len(ex)


def test_selection_falls_back_to_sharpest_and_smoothest():
    # sigmoids in ln N of various widths, too shallow to meet either criterion
    x = np.log(SIZES)
    widths = np.geomspace(0.05, 5.0, 30)
    mids = np.linspace(x[1], x[-2], 30)
    losses = 1.5 + 1.5 / (1 + np.exp((x[None, :] - mids[:, None]) / widths[:, None]))
    sub = mc.classify(losses, SIZES, mc.paper_criteria())
    assert not sub.monogenic.any() and not sub.polygenic.any()
    ex = mg.select_examples(sub, n_monogenic=2, n_polygenic=2)
    assert [e.kind for e in ex] == ["sharpest", "sharpest", "smoothest", "smoothest"]
    scores = sub.score[np.isfinite(sub.score)]
    assert sub.score[ex[0].index] == pytest.approx(scores.max())
    assert sub.score[ex[2].index] <= np.median(scores)


def test_selection_avoids_repeating_a_target_token(classes):
    ids = np.zeros(classes.n_tokens, dtype=int)
    ids[classes.polygenic] = np.arange(classes.polygenic.sum()) % 2  # only two distinct targets
    ex = mg.select_examples(classes, n_monogenic=0, n_polygenic=4, token_ids=ids)
    poly = [e for e in ex if e.kind == "polygenic"]
    assert len(poly) == 2 and len({ids[e.index] for e in poly}) == 2


def test_context_parts_cut_and_mark_truncation():
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    ids = list(range(26))
    decode = lambda xs: "".join(alphabet[i] for i in xs)  # noqa: E731
    assert mg.context_parts(ids, 10, decode, before=3, after=2) == ("…hij", "k", "lm…")
    assert mg.context_parts(ids, 2, decode, before=5, after=30) == ("ab", "c", "defghijklmnopqrstuvwxyz")
    with pytest.raises(ValueError, match="position"):
        mg.context_parts(ids, 26, decode)
    # a word-level decoder joins tokens with spaces: the pieces keep them
    words = lambda xs: " ".join(f"w{i}" for i in xs)  # noqa: E731
    left, target, right = mg.context_parts(ids, 5, words, before=2, after=1)
    assert (left, target, right) == ("…w3 w4", " w5", " w6…")
    assert left + target + right == "…" + words(ids[3:7]) + "…"


def test_gallery_html_escapes_and_highlights(classes):
    ex = mg.select_examples(classes, n_monogenic=1, n_polygenic=1)
    evil = ("<script>alert('x')</script> if a < b & c:\n    ", "</pre><b>", " \"q\" >")
    ex = mg.attach_contexts(ex, [evil, ("x = ", "\n", "y")])
    out = mg.gallery_html(classes, ex, caption="a <caption>")
    assert "<script>" not in out and "</pre><b>" not in out
    assert "&lt;script&gt;" in out and "&lt;/pre&gt;&lt;b&gt;" in out and "a &lt;caption&gt;" in out
    marks = re.findall(r"<mark[^>]*>(.*?)</mark>", out, flags=re.S)
    assert marks == ["&lt;/pre&gt;&lt;b&gt;", "↵\n"]  # whitespace-only target made visible
    # the fragment is well-formed markup (every tag closed, SVG included)
    ET.fromstring(out)
    assert out.count("<svg") == 2 and out.count("<tr>") == 2


def test_curve_svg_points_follow_the_curve():
    curve = np.array([6.0, 6.0, 0.1, 0.1, 0.1, 0.1])
    svg = mg.curve_svg(curve, SIZES, high=5.0, low=0.3)
    ET.fromstring(svg)
    pts = re.search(r'<polyline points="([^"]+)"', svg).group(1).split()
    xs, ys = zip(*[map(float, p.split(",")) for p in pts])
    assert np.all(np.diff(xs) > 0)
    assert ys[0] == ys[1] and ys[2] > ys[1]  # SVG y grows downwards: lower loss, larger y


def test_gallery_rejects_bad_input(classes):
    with pytest.raises(TypeError, match="classes"):
        mg.gallery_html({}, [])
    with pytest.raises(ValueError, match="index"):
        mg.gallery_html(classes, [mg.Example("a", "monogenic", classes.n_tokens + 5)])
    with pytest.raises(ValueError, match="contexts"):
        mg.attach_contexts([mg.Example("a", "monogenic", 0)], [])
