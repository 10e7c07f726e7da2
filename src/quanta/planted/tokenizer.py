"""A word-level tokenizer for a planted language: every symbol is exactly one token.

Per-token skill labels are only useful if they line up with the tokens a model predicts. A byte-level
BPE would merge or split symbols, so the planted language brings its own tokenizer: a ``tokenizers``
``WordLevel`` model over the fixed vocabulary of :class:`quanta.planted.language.Vocabulary`, splitting
on whitespace, adding no BOS or EOS, wrapped as a transformers ``PreTrainedTokenizerFast`` so the suite
code handles it like any other tokenizer. Token ids equal the vocabulary ids used by the generator.
"""

from __future__ import annotations

from .language import SPECIALS, Vocabulary


def build_tokenizer(vocab: Vocabulary):
    """A ``PreTrainedTokenizerFast`` whose ids are ``vocab``'s ids.

    Parameters
    ----------
    vocab : Vocabulary

    Returns
    -------
    transformers.PreTrainedTokenizerFast
        ``pad_token`` ``<|padding|>``, ``eos_token`` ``<|endoftext|>``, ``unk_token`` ``<unk>``; no
        special token is added on encoding.
    """
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab must be a Vocabulary, got {type(vocab).__name__}")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    pad, eos, unk = SPECIALS
    tok = Tokenizer(models.WordLevel(vocab=vocab.as_dict(), unk_token=unk))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=False)  # joins tokens with single spaces
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token=pad, eos_token=eos, unk_token=unk,
                                   bos_token=None, clean_up_tokenization_spaces=False)
