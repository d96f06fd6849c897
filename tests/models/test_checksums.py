"""A model folder's checksum names the model, not the caches the product writes beside it: a cache rebuilt in the
folder must not make every video's stage look stale."""

from __future__ import annotations

import os

from vidsearch.config import Settings
from vidsearch.credits.roles.mapper import INDEX_FILE
from vidsearch.models.refs import role_mapper_ref


def test_rewriting_the_trained_role_mappers_title_index_is_not_a_new_model(tmp_path):
    folder = tmp_path / "credit_roles"
    folder.mkdir()
    (folder / "model.json").write_text('{"threshold": 0.5}', encoding="utf-8")
    (folder / "head.npz").write_bytes(b"trained weights")
    (folder / INDEX_FILE).write_bytes(b"title vectors for taxonomy A")
    settings = Settings(data_dir=tmp_path / "data", credits={"role_model_dir": folder})
    before = role_mapper_ref(settings)
    assert before.backend == "trained" and before.checksum.startswith("sha256:")

    # a site mapping changes the taxonomy: RoleMapper.load rewrites the cached index in the model folder
    (folder / INDEX_FILE).write_bytes(b"title vectors for taxonomy A plus one site title")
    os.utime(folder / INDEX_FILE, ns=(1, 1))
    assert role_mapper_ref(settings).checksum == before.checksum

    (folder / "head.npz").write_bytes(b"retrained weights")  # the model itself changed: that is a new model
    assert role_mapper_ref(settings).checksum != before.checksum


def test_no_model_path_walks_no_folder(tmp_path, monkeypatch):
    """Most loaders pass ``settings.model or ""`` (a built-in or hub model has no path). ``Path("")`` is the working
    directory: the signature walked everything under it on every load — 2.5 s from the repo root (.venv, .git),
    the whole disk from ``/`` — and failed outright when a file there vanished mid-walk (a git stash beside it)."""
    from vidsearch.models.checksum import path_signature

    (tmp_path / "unrelated.bin").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    assert path_signature("") == ""
    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.bin").write_bytes(b"w")
    signature = path_signature(str(model))
    assert signature  # a real local folder is still signed, and a rewrite shows
    (model / "weights.bin").write_bytes(b"new weights")
    assert path_signature(str(model)) != signature


def test_a_file_vanishing_while_a_folder_is_signed_is_not_an_error(tmp_path):
    from vidsearch.models.checksum import _signature

    model = tmp_path / "model"
    model.mkdir()
    kept, gone = model / "weights.bin", model / "lock.tmp"
    kept.write_bytes(b"w")
    gone.write_bytes(b"t")
    files = [gone, kept]
    gone.unlink()  # listed, then removed before its size is read
    assert _signature(model, files) == _signature(model, [kept])
