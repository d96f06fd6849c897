"""A tiny BERT sentence-transformers model built in the test (random weights, WordPiece vocabulary trained
on the taxonomy's titles), saved to a folder and loaded back with ``local_files_only`` through the product's code."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def tiny_sentence_transformer(folder: Path, corpus: Sequence[str], hidden: int = 32) -> Path:
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import BertConfig, BertModel, BertTokenizerFast

    backbone = folder / "backbone"
    backbone.mkdir(parents=True, exist_ok=True)
    wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=True)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wordpiece.train_from_iterator(list(corpus) * 3, trainers.WordPieceTrainer(
        vocab_size=600, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
    wordpiece.save(str(backbone / "tokenizer.json"))
    tokenizer = BertTokenizerFast(tokenizer_file=str(backbone / "tokenizer.json"))
    tokenizer.save_pretrained(backbone)
    config = BertConfig(vocab_size=wordpiece.get_vocab_size(), hidden_size=hidden, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=2 * hidden, max_position_embeddings=64)
    torch.manual_seed(0)
    BertModel(config).save_pretrained(backbone)
    modules = [Transformer(str(backbone), max_seq_length=32), Pooling(hidden, "mean")]
    model = SentenceTransformer(modules=modules, device="cpu")
    model.save(str(folder / "st"))
    return folder / "st"
