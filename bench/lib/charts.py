"""PNG charts of a results file: `python charts.py results.json out_dir`.

A script rather than only a module because matplotlib lives in bench/.venv, not in
the project's environment that runs bench/run.py. Prints the names of the files made.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.report import CEILING, OURS, table  # noqa: E402

COLORS = {"bolt": "#0c7c59", "ceiling": "#7a7a7a", "fastapi": "#2a6fdb",
          "ninja": "#d1495b", "litestar": "#edae49", "bolt-mp": "#66c2a4",
          "original": "#8e5572", "bolt312": "#3d9970", "bolt312-r100": "#9ad0b8", "bolt312-r1000": "#c8e6d8"}


def rps_chart(results: dict, path: Path) -> bool:
    """Grouped horizontal bars: one group per endpoint (top to bottom in table order),
    one bar per server. Horizontal so that endpoint labels stay readable."""
    agg = table(results)
    servers = [s for s in results["servers"] if any(k[0] == s["key"] for k in agg)]
    eps = [e for e in results["endpoints"] if any(k[1] == e["name"] for k in agg)]
    if not servers or not eps:
        return False
    height = 0.8 / len(servers)
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(eps) * max(1, len(servers) / 3) + 1.6))
    for i, s in enumerate(servers):
        ys, xs = [], []
        for j, e in enumerate(eps):
            a = agg.get((s["key"], e["name"]))
            if a and a["rps"] > 0:
                ys.append(j - 0.4 + height * (i + 0.5))
                xs.append(a["rps"])
        ax.barh(ys, xs, height, label=s["label"], color=COLORS.get(s["key"]))
    ax.set_xscale("log")  # peers and the ceiling are orders of magnitude apart
    ax.xaxis.set_major_formatter(FuncFormatter(_si))
    ax.set_xlabel("requests per second (log scale, higher is better)")
    ax.set_yticks(range(len(eps)))
    ax.set_yticklabels([e["label"] for e in eps], fontsize=9)
    ax.set_ylim(len(eps) - 0.5, -0.5)  # first endpoint on top
    ax.grid(axis="x", which="major", alpha=0.5)
    ax.grid(axis="x", which="minor", alpha=0.15)
    ax.legend(fontsize=9, ncol=min(3, len(servers)), loc="lower center",
              bbox_to_anchor=(0.5, 1.0), frameon=False)
    fig.suptitle("Throughput per endpoint (median over rounds)", y=0.995)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def cpu_ratio_chart(results: dict, path: Path) -> bool:
    """django-bolt's CPU µs/request over the ceiling's, per endpoint (log scale:
    the ORM endpoints, where the ceiling has no database, are far off the rest)."""
    agg = table(results)
    rows = [(e, agg[OURS, e["name"]]["cpu_us"] / agg[CEILING, e["name"]]["cpu_us"])
            for e in results["endpoints"]
            if (OURS, e["name"]) in agg and (CEILING, e["name"]) in agg
            and agg[CEILING, e["name"]]["cpu_us"] > 0]
    if not rows:
        return False
    orm = ["orm" in e.get("tags", ()) for e, _ in rows]
    fig, ax = plt.subplots(figsize=(9, 0.36 * len(rows) + 1.8))
    bars = ax.barh(range(len(rows)), [r for _, r in rows],
                   color=[COLORS["bolt-mp"] if o else COLORS["bolt"] for o in orm])
    ax.bar_label(bars, labels=[f"{r:.1f}×" for _, r in rows], fontsize=8, padding=3)
    ax.axvline(1, color=COLORS["ceiling"], linestyle="--", linewidth=1.2,
               label="ceiling (bare fasthttp) = 1×")
    ax.set_xscale("log")
    lo, hi = min(0.8, min(r for _, r in rows) * 0.8), max(r for _, r in rows) * 1.6
    ax.set_xlim(lo, hi)
    ax.set_xticks([t for t in (0.5, 1, 2, 3, 5, 10, 20, 50, 100, 200, 500) if lo <= t <= hi])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}×"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("django-bolt CPU µs per request ÷ ceiling's (log scale, lower is better)")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([e["label"] + (" ‡" if o else "") for (e, _), o in zip(rows, orm)],
                       fontsize=9)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.grid(axis="x", which="both", alpha=0.25)
    ax.legend(fontsize=8, loc="lower right")
    if any(orm):
        fig.text(0.01, 0.005, "‡ ORM endpoints: the ceiling has no database "
                 "(rows kept in memory)", fontsize=8, color="#555555")
    ax.set_title("Server CPU per request: django-bolt relative to the ceiling")
    fig.tight_layout(rect=(0, 0.03 if any(orm) else 0, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _si(x: float, _pos=None) -> str:
    """Axis label: 2000 -> "2k"."""
    return f"{x / 1000:g}k" if x >= 1000 else f"{x:g}"


def main(argv: list[str]) -> int:
    results = json.loads(Path(argv[1]).read_text())
    out = Path(argv[2])
    made = []
    for name, draw in (("rps.png", rps_chart), ("cpu_ratio.png", cpu_ratio_chart)):
        if draw(results, out / name):
            made.append(name)
    print(" ".join(made))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
