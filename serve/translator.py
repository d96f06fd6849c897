"""The ko→en translator lives in ``vidsearch.translator`` (the one query path runs it in-process too); Serve's
translator deployment and older imports use it from here."""

from vidsearch.translator import Seq2SeqTranslator, Translator, has_hangul, load_translator

__all__ = ["Seq2SeqTranslator", "Translator", "has_hangul", "load_translator"]
