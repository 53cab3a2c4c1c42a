"""One measurement: a wrk run against one endpoint of one server, with the server's
CPU time and peak memory over the same window."""
from __future__ import annotations

import os
import resource
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import procstat, wrk
from .endpoints import Endpoint
from .servers import SERVER_CPU, WRK_CPU, Server, request


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    cpu_us_per_req: float  # server CPU (user + system, all processes) per request
    peak_rss_kib: int      # peak resident memory during the run (summed over processes)
    peak_is_run: bool      # False when VmHWM could not be reset: then it is the lifetime peak
    other_load: float      # share of the CPUs the run used that went to other work (0–1)

    def to_json(self) -> dict:
        return asdict(self)


class Request:
    """An endpoint's request, with its body written to a file for wrk's Lua script."""

    def __init__(self, endpoint: Endpoint, workdir: Path):
        self.endpoint = endpoint
        self.headers = dict(endpoint.headers)
        self.body: bytes | None = None
        self.body_file: Path | None = None
        if endpoint.body is not None:
            self.body, content_type = endpoint.body()
            self.headers["Content-Type"] = content_type
            self.body_file = workdir / f"body-{endpoint.name}.bin"
            self.body_file.write_bytes(self.body)


def probe(server: Server, req: Request) -> tuple[str, str]:
    """One request before any load. Returns ("ok" | "skip" | "wrong", explanation)."""
    ep = req.endpoint
    try:
        # A primed state can lapse before the probe on a busy machine (a rate limit
        # refills while the primes crawl): prime again, a few times, before judging.
        for _ in range(3 if ep.primes else 1):
            for _ in range(ep.primes):
                request(server.port, ep.method, ep.path, req.body, req.headers)
            status, body = request(server.port, ep.method, ep.path, req.body, req.headers)
            if status == ep.expect:
                break
    except OSError as exc:
        return "wrong", f"no answer ({exc})"
    missing_body = ep.expect_body is not None and ep.expect_body not in body
    if status == 404 and (ep.expect != 404 or missing_body):
        return "skip", "answers 404 (not implemented there)"
    if status in ep.unlike:
        return "skip", f"answers {status}: {ep.unlike[status]}"
    if status != ep.expect and status not in ep.alike:
        return "wrong", f"answered {status}, expected {ep.expect}: {body[:200]!r}"
    if missing_body:
        return "wrong", f"answer lacks {ep.expect_body!r}: {body[:200]!r}"
    return "ok", ""


def drive(server: Server, req: Request, *, seconds: int, connections: int) -> tuple[Sample, str]:
    """Load the endpoint for `seconds` and measure the server meanwhile."""
    ep = req.endpoint
    pinned = server.spec.pinned
    # CPUs this run occupies: the server's and wrk's when pinned, else all of them.
    cpus = [SERVER_CPU, WRK_CPU] if pinned else None
    pids = server.pids()
    peak_is_run = procstat.reset_peak_rss(pids)
    cpu_before = procstat.cpu_seconds(pids)
    busy_before, wrk_before, t0 = procstat.busy_seconds(cpus), _children_cpu(), time.monotonic()
    result, text = wrk.run(server.url(ep.path), connections=connections, seconds=seconds,
                           method=ep.method, body_file=req.body_file, headers=req.headers,
                           cpu=WRK_CPU if pinned else None)
    wall = time.monotonic() - t0
    busy, wrk_cpu = procstat.busy_seconds(cpus) - busy_before, _children_cpu() - wrk_before
    pids = server.pids()
    cpu = procstat.cpu_delta(cpu_before, procstat.cpu_seconds(pids))
    other = max(0.0, busy - cpu - wrk_cpu) / (wall * (len(cpus) if cpus else os.cpu_count() or 1))
    sample = Sample(
        rps=result.rps, p50_ms=result.p50_ms, p99_ms=result.p99_ms,
        requests=result.requests, non_2xx=result.non_2xx, socket_errors=result.socket_errors,
        cpu_us_per_req=cpu * 1e6 / result.requests if result.requests else float("nan"),
        peak_rss_kib=procstat.peak_rss_kib(pids), peak_is_run=peak_is_run,
        other_load=round(other, 3),
    )
    return sample, text


def _children_cpu() -> float:
    """CPU seconds of our finished child processes: the delta around a wrk run is
    wrk's own cost, which is not "other work"."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
