"""Korean → English query translation, so Korean queries also reach English-only text (captions, English
credits) through the English BM25 retriever. Product code: the ``Searcher`` runs it in-process (CLI, relevance
tooling) and Serve runs the same class in its translator deployment. Multilingual text encoders carry Korean queries on their own, so
translation is optional: ``models.translator.backend = "none"`` (the default) skips it.

Backends: transformers seq2seq checkpoints by hub id or local folder — Marian (e.g. Helsinki-NLP/opus-mt-ko-en)
and NLLB / M2M100 (e.g. facebook/nllb-200-distilled-600M, which need source/target language codes).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from vidsearch.config import TranslatorSettings
from vidsearch.errors import ConfigurationError
from vidsearch.models.cache import cached
from vidsearch.models.checksum import path_signature

log = logging.getLogger(__name__)

HANGUL_FIRST, HANGUL_LAST = "\uac00", "\ud7a3"
# NLLB/M2M100 language codes for Korean → English.
_NLLB_CODES = ("kor_Hang", "eng_Latn")
_M2M_CODES = ("ko", "en")


def has_hangul(text: str) -> bool:
    return any(HANGUL_FIRST <= ch <= HANGUL_LAST for ch in text)


class Translator(Protocol):
    identity: str

    def translate(self, texts: Sequence[str]) -> list[str]: ...


class Seq2SeqTranslator:
    """Any transformers ko→en seq2seq checkpoint. Greedy decoding: queries are short and latency matters."""

    def __init__(self, model: str, local_files_only: bool = True, max_new_tokens: int = 64,
                 threads: int = 1) -> None:
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        path = Path(model).expanduser()
        source = str(path) if path.exists() else model
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_files_only)
            self._model = AutoModelForSeq2SeqLM.from_pretrained(source, local_files_only=local_files_only)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(
                f"cannot load translator model {model!r}: {str(exc).strip().rstrip('.')}. Give a local folder, or set "
                "VIDSEARCH_MODELS__LOCAL_FILES_ONLY=false on a machine that can reach the hub."
            ) from exc
        self._model.eval()
        torch.set_num_threads(max(1, threads))
        self._torch = torch
        self._lock = threading.Lock()
        self._max_new_tokens = max_new_tokens
        self._generate_kwargs: dict = {}
        model_type = self._model.config.model_type
        if model_type == "m2m_100":
            codes = _NLLB_CODES if "eng_Latn" in self._tokenizer.get_vocab() else _M2M_CODES
            self._tokenizer.src_lang = codes[0]
            self._generate_kwargs["forced_bos_token_id"] = self._tokenizer.convert_tokens_to_ids(codes[1])
        self.identity = f"transformers/{model}"
        log.info("translator loaded: %s (%s)", model, model_type)

    def translate(self, texts: Sequence[str]) -> list[str]:
        if not texts:
            return []
        with self._lock, self._torch.inference_mode():
            batch = self._tokenizer(list(texts), return_tensors="pt", padding=True, truncation=True,
                                    max_length=256)
            batch.pop("token_type_ids", None)
            output = self._model.generate(**batch, max_new_tokens=self._max_new_tokens, num_beams=1,
                                          do_sample=False, **self._generate_kwargs)
        return [t.strip() for t in self._tokenizer.batch_decode(output, skip_special_tokens=True)]


def load_translator(settings: TranslatorSettings, local_files_only: bool = True) -> Translator | None:
    """The configured translator, or None when translation is off."""
    if settings.backend == "none":
        return None
    if not settings.model:
        raise ConfigurationError("models.translator.model must name a hub id or local folder "
                                 "(VIDSEARCH_MODELS__TRANSLATOR__MODEL), or set the backend to 'none'")
    key = (settings.model_dump_json(), local_files_only, path_signature(settings.model))
    return cached("translator", key, lambda: Seq2SeqTranslator(settings.model, local_files_only))
