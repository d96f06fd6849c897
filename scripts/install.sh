#!/usr/bin/env bash
# Install everything vidsearch needs on Debian 12 / Ubuntu: system packages, then a virtualenv in .venv.
# Idempotent: rerunning only fills in what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# ffmpeg: decoding/encoding; tesseract + kor/eng: OCR; fonts-nanum: Korean rendering (demo, test videos);
# chromium + driver: the web page's browser tests.
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    ffmpeg tesseract-ocr tesseract-ocr-eng tesseract-ocr-kor fonts-nanum chromium chromium-driver \
    python3-venv >/dev/null

python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
# torch first, pinned: any other version (or one pulled in by a dependency) brings GBs of CUDA packages.
.venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q -e '.[dev]'
# Build the extended Korean OCR model (korx: Debian's kor with the syllables its network can spell; < 1 s) now,
# so the first ingest does not; it falls back to plain kor with a warning if the tools refuse.
.venv/bin/python -c "from vidsearch.ocr.tesseract import TesseractEngine; print('OCR languages:', TesseractEngine().languages)"
echo "vidsearch installed: $(.venv/bin/vidsearch --help >/dev/null && echo ok) — .venv/bin/vidsearch doctor checks the rest"
