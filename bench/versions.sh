#!/usr/bin/env bash
# The whole test suite under another Python, or at the oldest dependency releases pyproject.toml
# allows: what CI (one Python, the newest releases) does not see.
#   bash bench/versions.sh PYTHON [floors]
# PYTHON: an interpreter (pyenv's, say /root/.pyenv/versions/3.13.0/bin/python). "floors"
# installs each dependency at the series of its floor in pyproject.toml (torch>=2.4: the newest
# 2.4.x) instead of the newest release. Makes a venv in /tmp/colorcli-versions-<python version>[-floors] (kept, so a
# rerun installs nothing), runs the suite there against this checkout, and prints the
# versions it ran with. torch comes from PyPI: a CUDA build, several GB, used on the CPU.
# 2026-12-04: 3.12.1 and 3.13.0 passed (671 each); 3.11.7 with floors passed 670 of 671 with
# pillow 10 (it reads no XMP from a JPEG: the test extra now asks for pillow 11), and that test
# passed with 11.0; 3.10 is below requires-python.
set -euo pipefail
PY=${1:?an interpreter, e.g. /root/.pyenv/versions/3.13.0/bin/python}
MODE=${2:-newest}
cd "$(dirname "$0")/.."
ver=$("$PY" -c 'import platform; print(platform.python_version())')
venv=/tmp/colorcli-versions-$ver$([ "$MODE" = floors ] && echo -floors || true)
[ -x "$venv/bin/python" ] || "$PY" -m venv "$venv"
reqs=$("$venv/bin/python" - "$MODE" <<'PY'
import sys, tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
deps += ["pytest>=8", "pillow>=11", "setuptools>=77"]  # the test extra's
print(" ".join(d.replace(">=", "==") + ".*" if sys.argv[1] == "floors" else d for d in deps))
PY
)
# shellcheck disable=SC2086  # one requirement per word
"$venv/bin/pip" install -q $reqs
"$venv/bin/pip" install -q --no-deps --no-build-isolation -e .
"$venv/bin/pip" list 2>/dev/null | grep -iE '^(torch|numpy|av|opencv-python-headless|click|rich|numba) '
"$venv/bin/python" -m pytest -p no:cacheprovider
