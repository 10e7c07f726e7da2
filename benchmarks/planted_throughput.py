"""Throughput of the planted-language generator against a straightforward per-segment reference.

The reference builds each segment with Python lists (one segment at a time, as a first implementation
would); the library generator is vectorised over all segments of a chunk. Both are measured as
tokens (with labels) per second on one core, plus the cost of rendering text and tokenizing it, which
is what the suite code pays per training token. Run: ``python benchmarks/planted_throughput.py``.
"""

import time

import numpy as np

from quanta.planted import Language, PlantedCorpus, preset


def reference_document(lang, rng):
    cfg, t, v = lang.cfg, lang.tables, lang.vocab
    ids, labels = [], []
    for _ in range(cfg.segments_per_doc):
        if rng.random() < cfg.noise_rate:
            for _ in range(rng.integers(1, 4)):
                ids.append(v.filler0 + int(rng.integers(0, 8))); labels.append(-1)
        k = int(np.searchsorted(np.cumsum(lang.probs), rng.random(), side="right"))
        f = cfg.families[t.family[k]]
        body, lab = [], []
        if f == "fact":
            body, lab = list(t.fact[k]), [True] * cfg.span
        elif f == "count":
            x = int(rng.integers(0, cfg.n_symbols))
            body = [(x + t.step[k] * i) % cfg.n_symbols for i in range(cfg.span + 1)]
            lab = [False] + [True] * cfg.span
        elif f in ("copy", "bracket"):
            if f == "copy":
                span = [int(rng.integers(0, cfg.n_symbols)) for _ in range(cfg.span)]
                body = span + span
            else:
                j = [int(rng.integers(0, 4)) for _ in range(cfg.span)]
                body = [t.openers[k][i] for i in j] + [t.closers[k][i] for i in j[::-1]]
            lab = [False] * cfg.span + [True] * cfg.span
        elif f == "modular":
            m = int(t.modulus[k])
            for _ in range(cfg.span):
                a, b = int(rng.integers(0, m)), int(rng.integers(0, m))
                r = (a + b, a - b, a * b)[t.op[k]] % m
                body += [a, b, r]; lab += [False, False, True]
        else:
            bits = [int(rng.integers(0, 2)) for _ in range(cfg.parity_bits)]
            body = bits + [sum(bits[i] for i in s) % 2 for s in t.subsets[k]]
            lab = [False] * cfg.parity_bits + [True] * cfg.span
        ids.append(v.trigger0 + k); labels.append(-1)
        ids += [v.content0 + int(x) for x in body]; labels += [k if l else -1 for l in lab]
    return ids, labels


def rate(fn, n_rounds=3):
    best = 0.0
    for _ in range(n_rounds):
        t = time.perf_counter()
        n = fn()
        best = max(best, n / (time.perf_counter() - t))
    return best


def main():
    lang = Language(preset("small"))
    corpus = PlantedCorpus(scale="small")
    tok = corpus.tokenizer()
    rng = np.random.default_rng(0)
    ref = rate(lambda: sum(len(reference_document(lang, rng)[0]) for _ in range(300)))
    vec = rate(lambda: sum(lang.chunk("train", c)[0].size for c in range(30)))

    def text_and_tokens():
        n = 0
        for c in range(10):
            ids, _, off = lang.chunk("train", c)
            texts = [lang.vocab.decode(ids[off[d]:off[d + 1]]) for d in range(len(off) - 1)]
            n += sum(len(x) for x in tok(texts, add_special_tokens=False)["input_ids"])
        return n

    full = rate(text_and_tokens)
    print(f"reference (per segment, Python):        {ref / 1e6:8.3f} M tokens/s")
    print(f"library generator (ids + labels):       {vec / 1e6:8.3f} M tokens/s   ({vec / ref:.0f}x)")
    print(f"library generator + text + tokenizer:   {full / 1e6:8.3f} M tokens/s")


if __name__ == "__main__":
    main()
