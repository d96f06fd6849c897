"""The built wheel runs on its own: no source tree, no ``../shared``, nothing but the wheel and its dependencies.

How the clean environment is made, and why: a virtualenv that pip-installs every dependency from an index (torch,
Ray, transformers, …) would take many minutes and gigabytes per run, and CI has no index mirror. So the test
 1. builds the wheel from this checkout (``pip wheel --no-deps``),
 2. creates a fresh virtualenv in a temp dir (``python -m venv --without-pip``, the base interpreter),
 3. installs ONLY the wheel into a folder of its own (``pip install --no-deps --target``), and
 4. makes the test environment's already-installed third-party packages visible to the new virtualenv through a
    ``.pth`` file that lists that site-packages folder as a plain path. A plain path's own ``.pth`` files are not
    executed, so the development install's editable finder (which maps ``vidsearch`` to the source tree) never
    loads: ``vidsearch``, ``serve``, ``ray_jobs``, ``ranking`` and ``es_mappings`` can only come from the wheel —
    the test checks that before it runs anything.
The commands run from an empty temp dir with PYTHONPATH unset and HOME in the temp dir, so neither the checkout
nor ``../shared`` is reachable from where the installed code looks (a wheel installed at ``<tmp>/app`` would look
for ``<tmp>/../shared``, which does not exist). The Docker image gets the same check where a Docker engine runs
(docs/packaging.md); none can run on these machines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

PRODUCT_PACKAGES = ("vidsearch", "serve", "ray_jobs", "ranking", "es_mappings")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(REPO)], check=True, capture_output=True, timeout=600, cwd=out)
    [built] = out.glob("vidsearch-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("clean")
    venv, app = root / "venv", root / "app"
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", str(venv)],
                   check=True, timeout=120)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(app), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    [site] = (venv / "lib").glob("python3*/site-packages")
    (site / "vidsearch-wheel-test.pth").write_text(f"{app}\n{sysconfig.get_paths()['purelib']}\n")
    work = root / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIDSEARCH_", "VIRTUAL_ENV", "RAY_ADDRESS"))}
    env.update(HOME=str(root / "home"), RAY_DATA_DISABLE_PROGRESS_BARS="1", PATH=f"{venv / 'bin'}:{env['PATH']}",
               # a local Ray of its own: ray.init() without an address joins a `ray start` cluster already
               # running on the machine (another engineer's, on a shared one)
               VIDSEARCH_RAY__ADDRESS="local")
    return {"python": venv / "bin" / "python", "app": app, "work": work, "env": env}


def _run(installed: dict, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(installed["python"]), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=installed["work"], env=installed["env"])


def test_the_wheel_ships_the_run_time_data_and_no_test_code(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in ("vidsearch/credits/roles/data/ebu_RoleCodeCS.tsv", "vidsearch/credits/roles/data/ko_roles.tsv",
                 "vidsearch/credits/roles/data/en_roles.tsv", "vidsearch/credits/roles/data/not_roles.txt",
                 "vidsearch/credits/roles/data/EBU_RoleCodeCS.NOTICE.md", "serve/static/index.html",
                 "es_mappings/v1/segments.json", "serve/serve_config.yaml"):
        assert data in names, data
    assert not [n for n in names if n.split("/")[0] in ("tests", "bench", "testkit")]


def test_the_installed_wheel_is_what_runs(installed):
    code = ("import importlib, json, sys; print(json.dumps({n: importlib.import_module(n).__file__ "
            "for n in sys.argv[1:]}))")
    probe = _run(installed, "-c", code, *PRODUCT_PACKAGES, timeout=120)
    assert probe.returncode == 0, probe.stderr[-2000:]
    for name, path in json.loads(probe.stdout).items():
        assert Path(path).is_relative_to(installed["app"]), (name, path)


def test_demo_and_role_mapping_run_from_the_installed_wheel(installed):
    demo = _run(installed, "-m", "vidsearch", "demo", "--data-dir", str(installed["work"] / "demo-data"))
    assert demo.returncode == 0, (demo.stdout[-3000:], demo.stderr[-3000:])
    assert "demo queries found their scene first" in demo.stdout

    roles = _run(installed, "-m", "vidsearch", "credits", "roles", "촬영감독", "--json",
                 "--data-dir", str(installed["work"] / "roles-data"))
    assert roles.returncode == 0, roles.stderr[-3000:]
    [mapping] = json.loads(roles.stdout)
    assert mapping["matches"] and mapping["matches"][0]["code"] == "6.1"  # Director of Photography
