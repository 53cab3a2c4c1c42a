#!/usr/bin/env bash
# Prepares a machine for bench/run.py: the load generator (wrk), the CPU pinning
# tool (taskset) and bench/.venv, the virtualenv holding the peer frameworks and
# matplotlib. Safe to run again: each step is skipped when already done.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"

need_apt=()
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
command -v taskset >/dev/null 2>&1 || need_apt+=(util-linux)
if ((${#need_apt[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${need_apt[@]}"
fi

venv="$here/.venv"
stamp="$venv/.installed"
if [ ! -f "$stamp" ] || [ "$here/requirements.txt" -nt "$stamp" ]; then
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -r "$here/requirements.txt"
    touch "$stamp"
fi
# Python 3.12 for the comparison with the original Django-Bolt (which needs it): the
# original in bench/.venv-original, and ours, built from this checkout, in
# bench/.venv-bolt312, both serving bench/neutral.
py312=""
for p in "$HOME"/.pyenv/versions/3.12.*/bin/python3.12 "$(command -v python3.12 || true)"; do
    if [ -n "$p" ] && [ -x "$p" ] && "$p" -c 'import sys' >/dev/null 2>&1; then py312=$p; break; fi
done
if [ -z "$py312" ]; then
    echo "no Python 3.12 found: the original Django-Bolt and bolt312 are left out" >&2
else
    original="$here/.venv-original"
    if [ ! -f "$original/.installed" ] || [ "$here/requirements-original.txt" -nt "$original/.installed" ]; then
        [ -x "$original/bin/python" ] || "$py312" -m venv "$original"
        "$original/bin/python" -m pip install -q --upgrade pip
        "$original/bin/python" -m pip install -q -r "$here/requirements-original.txt"
        touch "$original/.installed"
    fi
    ours="$here/.venv-bolt312"
    [ -x "$ours/bin/python" ] || "$py312" -m venv "$ours"
    # pip rebuilds a local directory on every install, so this measures the checkout
    # as it is now (Go's build cache keeps that quick).
    "$ours/bin/python" -m pip install -q --upgrade pip
    "$ours/bin/python" -m pip install -q "$(cd "$here/.." && pwd)"
fi
echo "bench ready: $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1,2); peers in $venv"
