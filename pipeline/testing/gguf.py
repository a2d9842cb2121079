"""Tiny llama-architecture GGUF models whose answers the test chooses, for
running a real llama.cpp server (``python -m llama_cpp.server``) in the tests.

No weights are downloaded: every tensor is made here with numpy and written
with the ``gguf`` package. The model loads in llama.cpp in milliseconds
(checked with llama-cpp-python 0.3.36 and gguf 0.19) and answers at once.

How it works:

- **Vocabulary**: llama.cpp's SentencePiece kind ("llama"), one token per
  character of :func:`charset`, the 256 byte tokens ``<0x00>``..``<0xFF>`` (a
  character outside the vocabulary becomes its UTF-8 bytes), ``<unk>``, ``<s>``
  and ``</s>``. No token holds two characters, so SentencePiece never merges
  anything: a prompt is always one token per known character (a space is ``▁``;
  ``add_space_prefix`` is off).
- **Network**: one layer whose attention output and FFN down projections are
  zero, so every position's state is its token's embedding and the logits are
  ``output · rmsnorm(embedding[token])``: a bigram model. The next token is a
  fixed successor of the current one, ahead of every other token by a logit
  margin (50 by default), so the answer is the same at any usual temperature.
- **Answers** are chosen by the last token of the prompt. The chat template
  (:data:`CONCAT_CHAT_TEMPLATE`) renders ``<s>`` and the messages' contents,
  nothing else, so the last prompt token is the last character of the last
  message (duizhao's prompt ends with the sentence: its last character).
  An answer is a chain of tokens: a piece of three or more characters is one
  token of its own (a prompt can never produce it, so it may carry a successor
  of its own); shorter pieces are written as their UTF-8 byte tokens.

Example::

    write_model(path, {
        "A": "",                    # a prompt ending in A: end at once (empty answer)
        "B": Loop("la "),           # "la la la ..." until max_tokens or the context is full
        "C": ["Hel", "lo,", " wo", "rld"],   # four tokens: "Hello, world"
        DEFAULT: "ok",              # any other last token
    })

Notes for tests (llama-cpp-python 0.3.36): give the server an ``--n_ctx`` that
is a multiple of 256 (else it answers HTTP 500 at the limit); a looping answer
costs time quadratic in its length (0.1 s for 254 tokens, 4 s for 2,046), so
keep contexts small; ``--verbose False`` keeps the load log quiet.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

__all__ = ["CONCAT_CHAT_TEMPLATE", "DEFAULT", "Loop", "ModelInfo", "charset", "write_model"]

#: The behaviour key for every last token without a rule of its own.
DEFAULT = None

#: ``<s>`` then the messages' contents (a list of parts: their ``text``), nothing
#: else. The ``<s>`` keeps the prompt from ever being empty: llama-cpp-python
#: answers HTTP 500 to a prompt of no tokens.
CONCAT_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% elif message['content'] %}"
    "{% for part in message['content'] %}{% if part['text'] is defined %}{{ part['text'] }}{% endif %}{% endfor %}"
    "{% endif %}"
    "{% endfor %}"
)

_SPACE = "\u2581"  # SentencePiece's space
_UNK, _BOS, _EOS = 0, 1, 2
# gguf.TokenType values (not imported at module level: gguf is a test dependency).
_NORMAL, _UNKNOWN, _CONTROL, _BYTE = 1, 2, 3, 6


@dataclass(frozen=True)
class Loop:
    """An answer that never ends: its pieces repeat until ``max_tokens`` or the
    context stops it. A single piece shorter than three characters is repeated
    up to three (``Loop("x")`` is the one token ``"xxx"``)."""

    pieces: tuple[str, ...]

    def __init__(self, *pieces: str):
        if not pieces or not all(isinstance(p, str) and p for p in pieces):
            raise ValueError("Loop needs at least one non-empty piece")
        if len(pieces) == 1 and len(pieces[0]) < 3:
            pieces = (pieces[0] * math.ceil(3 / len(pieces[0])),)
        object.__setattr__(self, "pieces", tuple(pieces))


Answer = Union[str, Sequence[str], Loop]


def _ranges(*spans: tuple[int, int]) -> str:
    return "".join(chr(c) for low, high in spans for c in range(low, high + 1))


def _two_byte_rows(encoding: str, rows: Iterable[int]) -> str:
    """The characters of an EUC two-byte encoding's rows (GB 2312's level 1: the
    3,755 most common hanzi)."""
    found = []
    for row in rows:
        for cell in range(0xA1, 0xFF):
            try:
                text = bytes([row, cell]).decode(encoding)
            except UnicodeDecodeError:
                continue
            if len(text) == 1:
                found.append(text)
    return "".join(found)


def charset(name: str = "common") -> str:
    """The characters that get a token of their own: ``"ascii"`` (U+0001–U+007F),
    ``"common"`` (ASCII, Latin-1, general and CJK punctuation, kana, full-width
    forms and GB 2312's level-1 hanzi: about 5,500) or ``"full"`` (common and the
    whole CJK Unified Ideographs block: about 26,000; a larger file and a server
    that holds more memory)."""
    ascii_ = _ranges((0x01, 0x7F))
    if name == "ascii":
        return ascii_
    common = ascii_ + _ranges((0xA0, 0xFF), (0x2010, 0x2027), (0x2030, 0x203B), (0x3000, 0x303F),
                              (0x3041, 0x3096), (0x3099, 0x30FF), (0xFF01, 0xFF9F))
    common += _two_byte_rows("gb2312", range(0xB0, 0xD8))
    if name == "common":
        return common
    if name == "full":
        return common + _ranges((0x4E00, 0x9FFF))
    raise ValueError(f"unknown charset {name!r} (ascii, common or full)")


@dataclass
class ModelInfo:
    """What :func:`write_model` wrote."""

    path: Path
    n_vocab: int
    n_embd: int
    #: Token id of each character with a token of its own (a space is ``▁``).
    char_to_id: dict[str, int] = field(repr=False)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` without ``<s>``: one per known character, one per
        UTF-8 byte of any other."""
        return sum(1 if (_SPACE if c == " " else c) in self.char_to_id else len(c.encode("utf-8")) for c in text)


def write_model(
    path: str | Path,
    behaviour: Mapping[str | None, Answer],
    *,
    chars: str | None = None,
    n_ctx_train: int = 4096,
    margin: float = 50.0,
    name: str = "duizhao-test-bigram",
) -> ModelInfo:
    """Write a tiny deterministic llama GGUF to ``path`` whose answer to a prompt
    is ``behaviour[last character of the prompt]`` (``behaviour[DEFAULT]`` for any
    other, else an empty answer).

    An answer is ``""`` (end at once), a string (that text, then the end), a list
    of pieces (one token each, so several tokens), or a :class:`Loop` (never
    ends). Keys are single characters; ``chars`` are the characters with a token
    of their own (default :func:`charset` ``"common"``; keys are added). A piece
    shared by two answers must lead to the same next token in both, else
    :class:`ValueError`.
    """
    import gguf
    import numpy as np

    chars = charset("common") if chars is None else chars
    tokens = ["<unk>", "<s>", "</s>", *(f"<0x{b:02X}>" for b in range(256))]
    types = [_UNKNOWN, _CONTROL, _CONTROL, *([_BYTE] * 256)]
    triggers = [key for key in behaviour if key is not DEFAULT]
    for key in triggers:
        if not isinstance(key, str) or len(key) != 1:
            raise ValueError(f"behaviour keys are single characters or DEFAULT, not {key!r}")
    char_to_id: dict[str, int] = {}
    for char in [*chars, *triggers]:
        piece = _SPACE if char == " " else char
        if char != "\x00" and piece not in char_to_id:
            char_to_id[piece] = len(tokens)
            tokens.append(piece)
            types.append(_NORMAL)
    by_text = {text: number for number, text in enumerate(tokens)}

    def piece_ids(piece: str) -> list[int]:
        if len(piece) < 3:  # as bytes: a prompt never makes an ASCII byte token
            return [3 + b for b in piece.encode("utf-8")]
        text = piece.replace(" ", _SPACE)
        if text not in by_text:
            by_text[text] = len(tokens)
            tokens.append(text)
            types.append(_NORMAL)
        return [by_text[text]]

    successor: dict[int, int] = {}

    def link(first: int, then: int) -> None:
        if successor.setdefault(first, then) != then:
            raise ValueError(f"token {tokens[first]!r} would need two successors ({tokens[successor[first]]!r} and "
                             f"{tokens[then]!r}): use distinct pieces of three characters or more")

    def chain(answer: Answer) -> int:
        """Link the answer's tokens; its first token (``</s>`` for an empty one)."""
        if isinstance(answer, Loop):
            ids = [i for piece in answer.pieces for i in piece_ids(piece)]
            for first, then in zip(ids, ids[1:] + ids[:1]):
                link(first, then)
            return ids[0]
        ids = [i for piece in ([answer] if isinstance(answer, str) else answer) if piece for i in piece_ids(piece)]
        for first, then in zip(ids, [*ids[1:], _EOS]):
            link(first, then)
        return ids[0] if ids else _EOS

    starts = {char_to_id[_SPACE if key == " " else key]: chain(answer)
              for key, answer in behaviour.items() if key is not DEFAULT}
    fallback = chain(behaviour[DEFAULT]) if DEFAULT in behaviour else _EOS
    n_vocab = len(tokens)
    following = np.full(n_vocab, fallback, dtype=np.int64)
    for token, then in successor.items():
        following[token] = then
    for token, then in starts.items():
        if token in successor and successor[token] != then:
            raise ValueError(f"trigger {tokens[token]!r} is also part of an answer")
        following[token] = then

    # Each token's embedding is the one-hot code of its successor's class, so the
    # model needs only as many dimensions as there are distinct successors.
    classes = sorted({int(t) for t in following})
    class_of = {token: number for number, token in enumerate(classes)}
    n_embd = max(32, -(-len(classes) // 32) * 32)
    head, n_ff = 8, 32
    embeddings = np.zeros((n_vocab, n_embd), dtype=np.float32)
    embeddings[np.arange(n_vocab), [class_of[int(t)] for t in following]] = 1.0
    # rmsnorm(one-hot) is the one-hot times sqrt(n_embd): the successor's logit is
    # the margin, every other one 0.
    output = np.zeros((n_vocab, n_embd), dtype=np.float32)
    for token, number in class_of.items():
        output[token, number] = margin / math.sqrt(n_embd)

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name(name)
    writer.add_context_length(n_ctx_train)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(1)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(1)
    writer.add_head_count_kv(1)
    writer.add_key_length(head)
    writer.add_value_length(head)
    writer.add_rope_dimension_count(head)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(n_vocab)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * n_vocab)
    writer.add_token_types(types)
    writer.add_unk_token_id(_UNK)
    writer.add_bos_token_id(_BOS)
    writer.add_eos_token_id(_EOS)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_add_space_prefix(False)
    writer.add_chat_template(CONCAT_CHAT_TEMPLATE)
    ones = np.ones(n_embd, dtype=np.float32)

    def zeros(*shape: int):
        return np.zeros(shape, dtype=np.float32)

    # numpy shapes are (rows, columns): ggml's ne reversed.
    writer.add_tensor("token_embd.weight", embeddings)
    writer.add_tensor("output_norm.weight", ones)
    writer.add_tensor("output.weight", output)
    writer.add_tensor("blk.0.attn_norm.weight", ones)
    writer.add_tensor("blk.0.attn_q.weight", zeros(head, n_embd))
    writer.add_tensor("blk.0.attn_k.weight", zeros(head, n_embd))
    writer.add_tensor("blk.0.attn_v.weight", zeros(head, n_embd))
    writer.add_tensor("blk.0.attn_output.weight", zeros(n_embd, head))
    writer.add_tensor("blk.0.ffn_norm.weight", ones)
    writer.add_tensor("blk.0.ffn_gate.weight", zeros(n_ff, n_embd))
    writer.add_tensor("blk.0.ffn_up.weight", zeros(n_ff, n_embd))
    writer.add_tensor("blk.0.ffn_down.weight", zeros(n_embd, n_ff))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return ModelInfo(Path(path), n_vocab, n_embd, char_to_id)
