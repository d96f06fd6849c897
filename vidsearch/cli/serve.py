"""``vidsearch serve``: the HTTP API and web page on this machine (Ray Serve, 127.0.0.1 by default)."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from typing import Annotated

import typer

from vidsearch.cli.core import ConfigOption, DataDirOption, clean_errors, console, settings_from
from vidsearch.errors import ConfigurationError
from vidsearch.ray_runtime import init_ray

_SHUTDOWN_WAIT_S = 45.0  # how long Ctrl-C / SIGTERM waits for Serve's graceful shutdown before stopping Ray
_CHILD_GRACE_S = 5.0  # then how long Ray's leftover processes get between SIGTERM and SIGKILL


def _stop_on_sigterm() -> None:
    """SIGTERM (docker stop, systemd, Kubernetes) takes the same bounded shutdown path as Ctrl-C."""

    def interrupt(signum, frame):  # noqa: ARG001 - the signal handler signature
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _end_children(children: list) -> list[int]:
    """End the processes this server started that outlived Ray's shutdown (its agents can linger, still listening,
    for over a minute): SIGTERM, then SIGKILL after a grace period. Returns the PIDs that needed it."""
    import psutil

    alive = [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    for process in alive:
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            pass
    _, still = psutil.wait_procs(alive, timeout=_CHILD_GRACE_S)
    for process in still:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(still, timeout=_CHILD_GRACE_S)
    return [p.pid for p in alive]


def check_port_free(host: str, port: int) -> None:
    """Fail fast with a clear message: Serve's proxy would otherwise retry a taken port in the background."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.bind((host, port))
    except OSError as exc:
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                                 "(choose another with --port / VIDSEARCH_SERVE__PORT)") from None


def start_local(settings, *, num_cpus: int | None = None) -> str:
    """Start Ray (if needed) and Serve with the API; returns the base URL. Blocks until every deployment is up."""
    from ray import serve
    from ray.serve.schema import LoggingConfig

    from serve.app import build_app
    from serve.proxy_guard import proxy_environment

    check_port_free(settings.serve.host, settings.serve.port)
    init_ray(settings, num_cpus=num_cpus)
    quiet = LoggingConfig(enable_access_log=False, log_level="WARNING")
    # the proxies inherit the controller's environment: a replica dying mid-request → 503, not a bare 500
    guard = {"runtime_env": {"env_vars": proxy_environment(settings.serve)}}
    serve.start(http_options={"host": settings.serve.host, "port": settings.serve.port}, logging_config=quiet,
                controller_options=guard)
    serve.run(build_app(settings), name="vidsearch", route_prefix="/", logging_config=quiet)
    return f"http://{settings.serve.host}:{settings.serve.port}"


def register(app: typer.Typer) -> None:
    @app.command("serve")
    @clean_errors
    def serve_command(
        host: Annotated[str | None, typer.Option(help="address to bind (default 127.0.0.1; 0.0.0.0 exposes it)")
                        ] = None,
        port: Annotated[int | None, typer.Option(help="HTTP port (default 8000)")] = None,
        num_cpus: Annotated[int | None, typer.Option(help="CPUs for the local Ray (default: all)")] = None,
        config: ConfigOption = None,
        data_dir: DataDirOption = None,
    ) -> None:
        """Serve the search API and the web page until Ctrl-C."""
        overrides: dict = {}
        settings = settings_from(config, data_dir)
        if host is not None or port is not None:
            serve_settings = settings.serve.model_copy(
                update={k: v for k, v in {"host": host, "port": port}.items() if v is not None})
            overrides["serve"] = serve_settings
            settings = settings.model_copy(update=overrides)
        if settings.serve.host not in ("127.0.0.1", "localhost", "::1") and not settings.serve.search_api_keys:
            console.print(f"[yellow]warning:[/yellow] binding {settings.serve.host} with no search API key: anyone "
                          "who can reach this port can search (VIDSEARCH_SERVE__SEARCH_API_KEYS)")
        console.print(f"starting the API over {settings.data_dir} …")
        _stop_on_sigterm()
        try:
            url = start_local(settings, num_cpus=num_cpus)
            _stop_on_sigterm()  # again: ray.init installs its own SIGTERM handler (it aborts the process)
            console.print(f"[bold green]serving[/bold green] {url}/  (API docs: {url}/docs, OpenAPI: "
                          f"{url}/openapi.json) — Ctrl-C stops")
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:  # also while starting: stop what has started, exit cleanly
            pass
        finally:
            import ray
            from ray import serve

            if ray.is_initialized():
                import psutil

                console.print("stopping …")
                # Ray's processes, collected before the shutdown (they may be re-parented once Ray stops).
                children = psutil.Process().children(recursive=True) if not settings.ray.address else []
                # Serve's graceful shutdown waits on every replica and Ray's on its processes; on a busy machine
                # either has hung for minutes. Bound both; past the bound, exit hard (a local Ray's processes
                # share this process's fate).
                def stop() -> None:
                    serve.shutdown()
                    ray.shutdown()

                stopper = threading.Thread(target=stop, daemon=True)
                stopper.start()
                stopper.join(_SHUTDOWN_WAIT_S)
                lingering = _end_children(children)
                if lingering:
                    console.print(f"ended {len(lingering)} Ray process(es) that outlived its shutdown")
                if stopper.is_alive():
                    console.print(f"[yellow]Ray Serve did not stop within {_SHUTDOWN_WAIT_S:.0f} s; exiting[/yellow]")
                    sys.stdout.flush()
                    os._exit(0)
