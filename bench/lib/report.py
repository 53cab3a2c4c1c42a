"""Turning measurements into the Markdown report, and comparing saved reports.

Results travel as one JSON-able dict (written next to each report) so that a saved
run can be compared with a later one, and charts drawn by another interpreter:
  meta       machine, tools, settings, timings
  servers    [{key, label, pinned}]
  endpoints  [{name, label, expect}]
  cells      [{server, endpoint, status: ok|skip|wrong|error, note, samples: [Sample]}]
"""
from __future__ import annotations

import math
import statistics
from typing import Iterable

# Summary columns: ours is compared with the ceiling on CPU, with the peers on RPS.
OURS, CEILING, PEERS = "bolt", "ceiling", ("fastapi", "ninja", "litestar")
# The comparison with the original: both serve bench/neutral on Python 3.12.
OURS_NEUTRAL, ORIGINAL = "bolt312", "original"
# Route-table variants of OURS_NEUTRAL (filler routes beside the measured ones).
ROUTE_VARIANTS = (("bolt312", 10), ("bolt312-r100", 100), ("bolt312-r1000", 1000))


def aggregate(cell: dict) -> dict | None:
    """Medians over the rounds (and min–max of RPS); None if nothing was measured."""
    samples = cell.get("samples") or []
    if not samples:
        return None

    def med(key: str) -> float:
        return statistics.median(s[key] for s in samples)

    rps = [s["rps"] for s in samples]
    return {
        "rps": med("rps"), "rps_min": min(rps), "rps_max": max(rps),
        "p50_ms": med("p50_ms"), "p99_ms": med("p99_ms"),
        "non_2xx": sum(s["non_2xx"] for s in samples),
        "socket_errors": sum(s["socket_errors"] for s in samples),
        "requests": sum(s["requests"] for s in samples),
        "cpu_us": med("cpu_us_per_req"),
        "rss_mib": max(s["peak_rss_kib"] for s in samples) / 1024,
        "other_load": statistics.median(s.get("other_load", float("nan")) for s in samples),
        "rounds": len(samples),
    }


def table(results: dict) -> dict[tuple[str, str], dict]:
    """(server, endpoint) -> aggregate, for the cells that were measured."""
    out = {}
    for cell in results["cells"]:
        agg = aggregate(cell) if cell["status"] == "ok" else None
        if agg:
            out[cell["server"], cell["endpoint"]] = agg
    return out


def _num(x: float | None, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b or math.isnan(a) or math.isnan(b):
        return "–"
    return f"{a / b:.2f}×"


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    align = align or "l" + "r" * (len(header) - 1)
    marks = [":--" if a == "l" else "--:" for a in align]
    return [_row(header), _row(marks)] + [_row(r) for r in rows]


def render(results: dict, charts: list[str] | None = None) -> str:
    meta, settings = results["meta"], results["meta"]["settings"]
    servers = [s for s in results["servers"]]
    keys = [s["key"] for s in servers]
    labels = {s["key"]: s["label"] for s in servers}
    agg = table(results)
    eps = results["endpoints"]
    lines = ["# django-bolt benchmark", ""]
    lines += _header(meta, settings, servers)
    if settings.get("quick"):
        lines += ["**Quick smoke run: all servers were driven at the same time on a shared "
                  "CPU, for a few seconds each. These numbers are not measurements.**", ""]

    # Summary: one row per endpoint.
    header = ["Endpoint"] + [f"RPS {_short(labels[k])}" for k in keys]
    has = set(keys)
    if OURS in has and CEILING in has:
        header += ["CPU µs/req ours", "CPU µs/req ceiling", "CPU ours ÷ ceiling"]
    peer_cols = [p for p in PEERS if p in has and OURS in has]
    header += [f"RPS ours ÷ {_short(labels[p])}" for p in peer_cols]
    rows = []
    for ep in eps:
        name = ep["name"]
        row = [_ep_label(ep)] + [_num(agg[k, name]["rps"]) if (k, name) in agg else "–" for k in keys]
        ours = agg.get((OURS, name))
        if OURS in has and CEILING in has:
            ceil = agg.get((CEILING, name))
            ratio = _ratio(ours and ours["cpu_us"], ceil and ceil["cpu_us"])
            if "orm" in ep.get("tags", ()) and ratio != "–":
                ratio += " ‡"
            row += [_num(ours and ours["cpu_us"], 1), _num(ceil and ceil["cpu_us"], 1), ratio]
        for p in peer_cols:
            peer = agg.get((p, name))
            row.append(_ratio(ours and ours["rps"], peer and peer["rps"]))
        rows.append(row)
    lines += ["## Summary", "",
              "Requests per second (median over rounds). \"Ours\" is django-bolt with one "
              "process, pinned like the ceiling and the peers. CPU is the server's user + "
              "system time per request, all its processes together (median over rounds).", ""]
    lines += _table(header, rows) + [""]
    if any("orm" in ep.get("tags", ()) for ep in eps) and CEILING in has:
        lines += ["‡ The ceiling has no database: it serializes rows kept in memory, so "
                  "this ratio is the whole ORM path against plain serialization.", ""]

    lines += _versus_original(results, agg)
    lines += _growth(results, agg)

    # Details: one row per endpoint and server.
    rows = []
    for ep in eps:
        for k in keys:
            a = agg.get((k, ep["name"]))
            if a is None:
                continue
            rows.append([_ep_label(ep), labels[k],
                         f"{_num(a['rps'])} ({_num(a['rps_min'])}–{_num(a['rps_max'])})",
                         _num(a["p50_ms"], 2), _num(a["p99_ms"], 2),
                         _num(a["non_2xx"]) + (f" (+{a['socket_errors']} socket errors)"
                                               if a["socket_errors"] else ""),
                         _num(a["cpu_us"], 1), _num(a["rss_mib"], 1),
                         _num(a["other_load"] * 100)])
    lines += ["## Details", "",
              "RPS: median (min–max) over rounds; latency: median of each round's p50/p99; "
              "non-2xx/3xx: total over rounds (for endpoints that answer 404 by design "
              "that is every request); peak RSS: highest over rounds, all processes summed; "
              "other load: median share of the run's CPUs (server's and wrk's when pinned) "
              "taken by other work on the machine, a gauge of how noisy the row is.", ""]
    lines += _table(["Endpoint", "Server", "RPS", "p50 ms", "p99 ms", "non-2xx/3xx",
                     "CPU µs/req", "peak RSS MiB", "other load %"], rows,
                    align="llrrrrrrr") + [""]

    notes = [c for c in results["cells"] if c["status"] != "ok"]
    if notes:
        lines += ["## Not measured", ""]
        for c in notes:
            what = {"skip": "skipped", "wrong": "wrong answer, not measured",
                    "error": "failed"}.get(c["status"], c["status"])
            lines.append(f"- {labels.get(c['server'], c['server'])}, `{c['endpoint']}`: "
                         f"{what} — {c['note']}")
        lines.append("")
    if charts:
        lines += ["## Charts", ""] + [f"![{c}]({c})" for c in charts] + [""]
    return "\n".join(lines)


def _versus_original(results: dict, agg: dict) -> list[str]:
    """Ours ÷ the original, CPU per request, on every endpoint both served."""
    rows = []
    for ep in results["endpoints"]:
        ours, orig = agg.get((OURS_NEUTRAL, ep["name"])), agg.get((ORIGINAL, ep["name"]))
        if not ours or not orig:
            continue
        rows.append([_ep_label(ep), _num(ours["cpu_us"], 1), _num(orig["cpu_us"], 1),
                     _ratio(ours["cpu_us"], orig["cpu_us"]), _num(ours["rps"]), _num(orig["rps"]),
                     _num(ours["rss_mib"], 1), _num(orig["rss_mib"], 1)])
    if not rows:
        return []
    return ["## Against the original Django-Bolt", "",
            "Both serve `bench/neutral` unchanged, one process pinned to one core, on Python 3.12 "
            "(the original needs it; ours is built for it from this checkout). Lower CPU ratio is better.",
            ""] + _table(["Endpoint", "CPU µs/req ours", "CPU µs/req original", "CPU ours ÷ original",
                          "RPS ours", "RPS original", "peak RSS MiB ours", "peak RSS MiB original"],
                         rows) + [""]


def _growth(results: dict, agg: dict) -> list[str]:
    """CPU per request as the work grows: routes, response size, chunks per stream."""
    def cpu(server: str, endpoint: str) -> dict | None:
        return agg.get((server, endpoint))

    rows = []
    for server, n in ROUTE_VARIANTS:
        a = cpu(server, "item")
        if a:
            rows.append([f"{n:,} routes, `GET /items/1?q=hello`", _num(a["cpu_us"], 1),
                         _num((cpu(ORIGINAL, "item") or {}).get("cpu_us"), 1) if n == 10 else "–"])
    for kb in (1, 10, 100):
        a = cpu(OURS_NEUTRAL, f"json-{kb}k")
        if a:
            rows.append([f"{kb} KB JSON response", _num(a["cpu_us"], 1),
                         _num((cpu(ORIGINAL, f"json-{kb}k") or {}).get("cpu_us"), 1)])
    for n in (1, 10, 100):
        a = cpu(OURS_NEUTRAL, f"chunks-{n}")
        if a:
            rows.append([f"stream of {n} chunk{'s' if n > 1 else ''} (sync generator)", _num(a["cpu_us"], 1),
                         _num((cpu(ORIGINAL, f"chunks-{n}") or {}).get("cpu_us"), 1)])
    if not rows:
        return []
    return ["## Cost as the work grows", "",
            "CPU µs per request of ours (neutral project, Python 3.12), beside the original where it "
            "served the same request. Routing should stay flat as routes are added.", ""] + _table(
        ["Work", "CPU µs/req ours", "CPU µs/req original"], rows) + [""]


def _short(label: str) -> str:
    """Column-header form of a server label: "FastAPI (uvicorn)" -> "FastAPI"."""
    return label.replace(" (unpinned)", " unpinned").split(" (")[0]


def _ep_label(ep: dict) -> str:
    extra = f" → {ep['expect']}" if ep["expect"] != 200 else ""
    return f"`{ep['label']}`{extra}"


def _header(meta: dict, settings: dict, servers: list[dict]) -> list[str]:
    m = meta["machine"]
    peers = m.get("peers") or {}
    project = m.get("project") or {}
    pinned = ", ".join(s["label"] for s in servers if s["pinned"]) or "none"
    unpinned = ", ".join(s["label"] for s in servers if not s["pinned"]) or "none"
    tools = [f"{m['wrk']}", f"Go {m['go'].removeprefix('go')}" if m.get("go") else "",
             f"Python {project.get('python', '?')}", f"Django {project.get('django', '?')}",
             f"msgspec {project.get('msgspec', '?')}"]
    if peers:
        tools.append(f"peers on Python {peers.get('python', '?')}: "
                     + ", ".join(f"{k} {v}" for k, v in peers.items() if k != "python"))
    original = m.get("original") or {}
    if original:
        tools.append(f"original: Django-Bolt {original.get('django-bolt', '?')} on Python "
                     f"{original.get('python', '?')} (Django {original.get('django', '?')}); ours for that "
                     f"comparison on Python {(m.get('bolt312') or {}).get('python', '?')}")
    return [
        f"Run {meta['started']} ({meta['elapsed_s'] / 60:.1f} min), commit {m['commit'] or 'unknown'}.",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, "
        f"Linux {m['kernel']}.",
        f"- Load average (1/5/15 min) at start {meta['load_start']}, at end {meta['load_end']}: "
        "this machine is shared with other work, so numbers are noisy; compare runs made "
        "side by side, and servers within a run (rounds interleave them for that).",
        "- Tools: " + "; ".join(t for t in tools if t) + ".",
        f"- Load: `wrk -t1 -c{settings['connections']} -d{settings['duration']}s --latency`, "
        f"{settings['rounds']} round(s) per endpoint and server, interleaved, after a "
        f"{settings['warmup']} s warm-up.",
        f"- Pinned (server on CPU {settings['server_cpu']}, wrk on CPU {settings['wrk_cpu']}): "
        f"{pinned}. Unpinned (both share both cores): {unpinned}.",
    ] + [f"- {note}." for note in meta.get("notes", [])] + [""]


def diff(old: dict, new: dict) -> str:
    """Markdown table of RPS and CPU changes between two runs, for cells in both."""
    a, b = table(old), table(new)
    labels = {s["key"]: s["label"] for s in new["servers"]}
    rows = []
    for key in b:
        if key not in a:
            continue
        server, ep = key
        rows.append([f"`{ep}`", labels.get(server, server),
                     f"{_num(a[key]['rps'])} → {_num(b[key]['rps'])}", _pct(a[key]["rps"], b[key]["rps"]),
                     f"{_num(a[key]['cpu_us'], 1)} → {_num(b[key]['cpu_us'], 1)}",
                     _pct(a[key]["cpu_us"], b[key]["cpu_us"])])
    if not rows:
        return "No endpoint/server in common with the baseline."
    return "\n".join(_table(["Endpoint", "Server", "RPS", "Δ RPS", "CPU µs/req", "Δ CPU"], rows,
                            align="llrrrr"))


def _pct(old: float, new: float) -> str:
    if not old or math.isnan(old) or math.isnan(new):
        return "–"
    return f"{(new - old) / old * 100:+.1f}%"
