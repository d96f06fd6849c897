"""The ko→en translator's real loading and generation code on tiny locally built models (no hub access)."""

from __future__ import annotations

import pytest

from serve.translator import Seq2SeqTranslator, has_hangul, load_translator
from tests.serve.serve_testkit import TRANSLATIONS
from vidsearch.config import TranslatorSettings
from vidsearch.errors import ConfigurationError


def test_marian_model_from_a_local_folder_translates(tiny_translator_dir):
    translator = load_translator(TranslatorSettings(backend="transformers", model=str(tiny_translator_dir)))
    korean = [ko for ko, _ in TRANSLATIONS]
    assert translator.translate(korean) == [en for _, en in TRANSLATIONS]
    assert translator.translate([]) == []
    assert translator.identity == f"transformers/{tiny_translator_dir}"


def test_nllb_style_model_gets_its_target_language_forced(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import M2M100Config, M2M100ForConditionalGeneration, PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, "<s>": 3, "kor_Hang": 4, "eng_Latn": 5, "궁궐": 6, "palace": 7}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>", bos_token="<s>",
                                   additional_special_tokens=["kor_Hang", "eng_Latn"])
    config = M2M100Config(vocab_size=len(vocab), d_model=16, encoder_layers=1, decoder_layers=1,
                          encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
                          max_position_embeddings=32, pad_token_id=0, eos_token_id=1, bos_token_id=3,
                          decoder_start_token_id=1)
    M2M100ForConditionalGeneration(config).save_pretrained(tmp_path)
    fast.save_pretrained(tmp_path)
    translator = Seq2SeqTranslator(str(tmp_path), local_files_only=True, max_new_tokens=4)
    assert translator._generate_kwargs["forced_bos_token_id"] == vocab["eng_Latn"]
    (out,) = translator.translate(["궁궐"])
    assert isinstance(out, str) and "eng_Latn" not in out


def test_translation_off_or_misconfigured():
    assert load_translator(TranslatorSettings()) is None
    with pytest.raises(ConfigurationError, match="VIDSEARCH_MODELS__TRANSLATOR__MODEL"):
        load_translator(TranslatorSettings(backend="transformers"))
    with pytest.raises(ConfigurationError, match="(?s)Helsinki-NLP/opus-mt-ko-en.*LOCAL_FILES_ONLY"):
        load_translator(TranslatorSettings(backend="transformers", model="Helsinki-NLP/opus-mt-ko-en"))


def test_hangul_detection():
    assert has_hangul("궁궐 야경") and has_hangul("KBS 뉴스") and not has_hangul("palace at night")
