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
echo "bench ready: $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1,2); peers in $venv"
