"""Helpers shared by the serve tests (a uniquely named module: every test area has its own conftest)."""

from __future__ import annotations

from pathlib import Path

import httpx

ADMIN_KEY = "test-admin-key-0123456789"
ALLOWED_ORIGIN = "http://allowed.example"
# What the tiny translator learns: Korean queries whose words appear in no Korean caption of the demo, so only the
# translation lets the English BM25 retriever find their scene.
TRANSLATIONS = [("궁궐", "palace"), ("궁궐 야경", "palace at night"), ("한라산", "hallasan"),
                ("해운대 해수욕장", "haeundae beach"), ("김치찌개", "kimchi stew"),
                ("촬영감독", "director of photography"),
                ("서울 야경", "seoul skyline at night")]


def build_tiny_translator(folder: Path, pairs: list[tuple[str, str]] = TRANSLATIONS) -> Path:
    """A 1-layer Marian model and a word-level tokenizer, trained until it reproduces ``pairs`` (~3 s on a CPU)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import MarianConfig, MarianMTModel, PreTrainedTokenizerFast

    words = sorted({w for ko, en in pairs for w in f"{ko} {en}".split()})
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, **{w: i + 3 for i, w in enumerate(words)}}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    config = MarianConfig(
        vocab_size=len(vocab), d_model=64, encoder_layers=1, decoder_layers=1, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=128, decoder_ffn_dim=128, max_position_embeddings=32,
        pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, forced_eos_token_id=1,
        dropout=0.0, attention_dropout=0.0, activation_dropout=0.0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: threads only add overhead
    try:
        torch.manual_seed(0)
        model = MarianMTModel(config)
        source = fast([ko for ko, _ in pairs], return_tensors="pt", padding=True)
        labels = fast([en for _, en in pairs], return_tensors="pt", padding=True)["input_ids"]
        labels[labels == 0] = -100
        optimiser = torch.optim.Adam(model.parameters(), lr=5e-3)
        model.train()
        for _ in range(600):
            loss = model(**source, labels=labels).loss
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            if loss.item() < 0.01:
                break
        model.eval()
    finally:
        torch.set_num_threads(threads)
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def assert_problem(response: httpx.Response, status: int | tuple[int, ...], *phrases: str) -> dict:
    """A 4xx/5xx answered as RFC 7807 problem+json whose detail names what was wrong."""
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == response.status_code and body["title"] and body["detail"], body
    for phrase in phrases:
        assert phrase.lower() in body["detail"].lower(), (phrase, body["detail"])
    return body


def listening_sockets(root_pid: int) -> list[tuple[int, str, str, int]]:
    """(pid, process name, address, port) of every TCP socket listening in the process tree under ``root_pid``."""
    import psutil

    root = psutil.Process(root_pid)
    found = []
    for process in [root, *root.children(recursive=True)]:
        try:
            connections = process.net_connections(kind="tcp")
            name = process.name()
        except psutil.Error:  # ended while we looked
            continue
        found.extend((process.pid, name, c.laddr.ip, c.laddr.port) for c in connections
                     if c.status == psutil.CONN_LISTEN)
    return found


def is_loopback(address: str) -> bool:
    import ipaddress

    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def serve_replicas(app: str, deployment: str) -> list:
    """This test process's Serve replica processes of one deployment (found by their process title), to kill."""
    import psutil

    title = f"ServeReplica:{app}:{deployment}"
    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            if any(title in part for part in process.cmdline()):
                found.append(process)
        except psutil.Error:
            continue
    return found


def running_replicas(app: str, deployment: str) -> int:
    """Replicas of a deployment Serve reports RUNNING."""
    from ray import serve

    return serve.status().applications[app].deployments[deployment].replica_states.get("RUNNING", 0)
