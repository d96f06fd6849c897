"""docker/Dockerfile cannot be built here (no Docker engine); these checks read it with Docker's own parser
and hold it to the project: the same Ray, torch pin and system packages, a build context that carries every
package, and a dependency layer that survives code changes."""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
import tomllib

import dockerfile
import pytest

from tests.conftest import REPO
from tests.k8s.manifests import only

_spec = importlib.util.spec_from_file_location("image_requirements", REPO / "docker" / "requirements.py")
image_requirements = importlib.util.module_from_spec(_spec)  # docker/requirements.py, run by the Dockerfile
_spec.loader.exec_module(image_requirements)

DOCKER_INSTRUCTIONS = {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
                       "LABEL", "ONBUILD", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR", "RUN"}
BROWSER_TEST_PACKAGES = {"chromium", "chromium-driver", "python3-venv"}  # install.sh's, not the image's


def _runs(commands) -> list[str]:
    return [c.value[0] for c in commands if c.cmd.upper() == "RUN"]


def _apt_packages(shell: str) -> set[str]:
    packages = set()
    for line in re.findall(r"apt-get install ([^&;|>\n]+)", shell.replace("\\\n", " ")):
        packages |= {word for word in shlex.split(line) if not word.startswith("-") and "$" not in word}
    return packages


def test_every_instruction_is_a_docker_instruction(dockerfile_commands):
    assert {c.cmd.upper() for c in dockerfile_commands} <= DOCKER_INSTRUCTIONS
    bases = [c.value for c in dockerfile_commands if c.cmd.upper() == "FROM"]
    assert bases == [("rayproject/ray:${RAY_IMAGE_TAG}",)]


def test_the_parser_would_notice_a_typo():
    commands = dockerfile.parse_string("FROM rayproject/ray:2.60.0-py311-cpu\nRUNN pip install .\n")
    assert {c.cmd.upper() for c in commands} - DOCKER_INSTRUCTIONS == {"RUNN"}


def test_image_has_the_system_packages_install_sh_installs(dockerfile_commands):
    install_sh = (REPO / "scripts" / "install.sh").read_text(encoding="utf-8")
    wanted = _apt_packages(install_sh) - BROWSER_TEST_PACKAGES
    assert {"ffmpeg", "tesseract-ocr", "tesseract-ocr-kor", "tesseract-ocr-eng", "fonts-nanum"} <= wanted
    in_image = set().union(*(_apt_packages(run) for run in _runs(dockerfile_commands)))
    assert wanted <= in_image, f"missing from the image: {sorted(wanted - in_image)}"


def test_torch_comes_from_the_cpu_index_at_the_projects_pin(dockerfile_commands, dockerfile_args, project):
    assert dockerfile_args["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    assert dockerfile_args["VARIANT"] == "cpu"
    text = "\n".join(_runs(dockerfile_commands))
    assert not re.search(r"torch==\d", text), "the torch pin belongs to pyproject.toml alone"
    assert 'pip install --index-url "${TORCH_INDEX_URL}" "torch==$(python requirements.py pyproject.toml ' \
           '--pin torch)"' in text
    torch = image_requirements.pinned_version(REPO / "pyproject.toml", "torch")
    assert f"torch=={torch}" in project["dependencies"]
    # the GPU variant swaps in the gpu extra's onnxruntime-gpu (same files as onnxruntime: remove that first)
    assert text.index("pip uninstall -y onnxruntime") < text.index("--extra gpu --pin onnxruntime-gpu")


def test_dependencies_are_a_layer_of_their_own(dockerfile_commands):
    steps = [(c.cmd.upper(), " ".join(c.value)) for c in dockerfile_commands]
    copy_pyproject = steps.index(("COPY", "pyproject.toml docker/requirements.py ./"))
    install_deps = next(i for i, (cmd, v) in enumerate(steps) if cmd == "RUN" and "pip install -r" in v)
    copy_code = steps.index(("COPY", ". ."))
    assert copy_pyproject < install_deps < copy_code  # a code change reuses the dependency layer


def test_the_image_runs_as_ray_not_root(dockerfile_commands):
    users = [c.value[0] for c in dockerfile_commands if c.cmd.upper() == "USER"]
    assert users[-1] == "ray"  # uid 1000, group users: the pods' fsGroup 100 makes the data volume writable


# --- build context ----------------------------------------------------------------------------------------

def _pattern(pattern: str) -> re.Pattern:
    """A .dockerignore pattern as Docker matches it: * within a path segment, ** across segments."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignored(path: str, patterns: list[str]) -> bool:
    """The last pattern that matches the path or one of its folders decides; `!` lets it back in."""
    candidates = [path, *("/".join(path.split("/")[:n]) for n in range(1, path.count("/") + 1))]
    ignored = False
    for raw in patterns:
        negated = raw.startswith("!")
        regex = _pattern(raw.removeprefix("!").strip().strip("/"))
        if any(regex.fullmatch(c) for c in candidates):
            ignored = not negated
    return ignored


@pytest.fixture(scope="module")
def context_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_the_matcher_follows_dockers_rules():
    patterns = ["*", "!src/", "**/__pycache__"]
    assert dockerignored("tests/test_x.py", patterns)
    assert not dockerignored("src/pkg/mod.py", patterns)
    assert dockerignored("src/pkg/__pycache__/mod.pyc", patterns)


def test_build_context_carries_every_package_and_nothing_else(context_patterns, project):
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.splitlines()
    include = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = [p.rstrip("*") for p in include["include"]]
    for path in tracked:
        top = path.split("/")[0]
        if top in packages or path in ("pyproject.toml", "README.md", "docker/requirements.py"):
            assert not dockerignored(path, context_patterns), f"{path} is needed by `pip install .`"
        elif top in ("tests", "bench", "k8s", "scripts", ".ci", "docs"):
            assert dockerignored(path, context_patterns), f"{path} would bloat the image and its cache key"
    for command in (c for c in dockerfile.parse_file(str(REPO / "docker" / "Dockerfile")) if c.cmd == "COPY"):
        for source in command.value[:-1]:
            assert source == "." or not dockerignored(source, context_patterns), source


# --- docker/requirements.py ---------------------------------------------------------------------------------

def test_requirements_script_prints_the_projects_dependencies(project):
    script = REPO / "docker" / "requirements.py"
    done = subprocess.run([sys.executable, str(script), str(REPO / "pyproject.toml")], capture_output=True,
                          text=True, check=True)
    assert done.stdout.splitlines() == project["dependencies"]
    ray_pin = image_requirements.pinned_version(REPO / "pyproject.toml", "ray")
    assert f"ray[data,serve]=={ray_pin}" in project["dependencies"]
    assert image_requirements.pinned_version(REPO / "pyproject.toml", "onnxruntime-gpu", extra="gpu")


def test_requirements_script_refuses_what_the_image_cannot_pin(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["torch>=2.13", "numpy==2.4.6"]\n')
    with pytest.raises(ValueError, match="torch is not pinned exactly"):
        image_requirements.pinned_version(pyproject, "torch")
    with pytest.raises(LookupError, match="scipy is not a requirement"):
        image_requirements.pinned_version(pyproject, "scipy")
    script = REPO / "docker" / "requirements.py"
    done = subprocess.run([sys.executable, str(script), str(pyproject), "--extra", "gpu"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "has no extra 'gpu'" in done.stderr


# --- the optional Elasticsearch image ----------------------------------------------------------------------

def test_nori_image_matches_the_cluster_version(stack):
    commands = dockerfile.parse_file(str(REPO / "docker" / "elasticsearch" / "Dockerfile"))
    args = dict(c.value[0].split("=", 1) for c in commands if c.cmd.upper() == "ARG")
    version = only(stack, "Elasticsearch")["spec"]["version"]
    assert args["ES_VERSION"] == version and version.split(".")[0] == "9"
    assert "bin/elasticsearch-plugin install --batch analysis-nori" in _runs(commands)
