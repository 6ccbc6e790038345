"""Benchmark report: the machine, the table of figures and the verdict against the targets.

Used by ``bench/run.py``; see its docstring and ``bench/README.md``.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

from generate import REPO, TIME
from measure import MEASURES

TARGET_N = 10_000
# × hugo cold, at TARGET_N episodes (issue "Faster than Hugo"); the cold target holds at 1,000 too
TARGETS = {"podops cold": 1.0, "podops no-op": 0.05, "edit-one": 0.15, "add-one": 0.2}
COLD_TOO_AT = 1000
TARGET_RSS_MB = 250
TARGET_SCALING = 5.2  # cost at 5 × TARGET_N ≤ 5.2 × cost at TARGET_N: linear, no quadratic step
TARGET_PROBE = 2.0  # 60-min probe ≤ 2 × 1-min probe

# -------------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    hugo = subprocess.run(["hugo", "version"], check=False, capture_output=True, text=True).stdout.strip()
    rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], check=False,
                         capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "podops", "templates"],
                           check=False, capture_output=True, text=True).stdout.strip()
    import podops

    source = str(Path(podops.__file__).resolve().parent.parent)
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": mem, "python": platform.python_version(),
            "platform": platform.platform(), "hugo": hugo,
            "podops_commit": (rev + ("+local changes" if dirty else "")) if Path(source) == REPO else "see source",
            "podops_source": source,
            "rss_source": "/usr/bin/time -v" if os.access(TIME, os.X_OK) else "getrusage(RUSAGE_CHILDREN)"}


def _fmt(m: dict[str, Any]) -> str:
    return f"{m['median']:8.3f}  {m['min']:.3f}–{m['max']:.3f}"


def print_table(results: list[dict[str, Any]], probe: dict[str, Any] | None) -> list[str]:
    """Print the table; return the target checks as lines."""
    print(f"\n{'N':>7} {'place':<5} {'measure':<13} {'median s':>8}  {'min–max s':<13} {'× hugo cold':>11} "
          f"{'peak RSS MB':>11}  target")
    checks: list[str] = []
    for result in results:
        if result.get("error"):
            print(f"{result['n']:>7} {result['place']:<5} FAILED: {result['error']}")
        for name in MEASURES:
            m = result["measures"].get(name)
            if m is None:
                continue
            target = ""
            if name in TARGETS and (result["n"] == TARGET_N or (result["n"] == COLD_TOO_AT and name == "podops cold")):
                ok = m["ratio_to_hugo_cold"] <= TARGETS[name]
                target = f"≤ {TARGETS[name]}× {'ok' if ok else 'MISSED'}"
                checks.append(f"{result['place']}: {name} {m['ratio_to_hugo_cold']:.2f}× hugo cold {target}")
            print(f"{result['n']:>7} {result['place']:<5} {name:<13} {_fmt(m):<23} "
                  f"{m['ratio_to_hugo_cold']:10.2f}× {m['peak_rss_mb']:11.0f}  {target}")
        measured = result["measures"]
        if not measured:
            continue
        podops_rss = max((m["peak_rss_mb"] for n, m in measured.items() if not n.startswith("hugo")), default=0)
        hugo_rss = max((m["peak_rss_mb"] for n, m in measured.items() if n.startswith("hugo")), default=0)
        line = f"{result['n']:>7} {result['place']:<5} peak RSS: podops {podops_rss:.0f} MB, hugo {hugo_rss:.0f} MB"
        if result["n"] == TARGET_N:
            verdict = "ok" if podops_rss <= TARGET_RSS_MB else "MISSED"
            line += f"  (target podops ≤ {TARGET_RSS_MB} MB {verdict})"
            checks.append(f"{result['place']}: peak RSS {podops_rss:.0f} MB ≤ {TARGET_RSS_MB} MB {verdict}")
        print(line)
    by_key = {(r["n"], r["place"]): r for r in results}
    for (n, place), result in sorted(by_key.items()):
        bigger = by_key.get((5 * n, place))
        if bigger is None:
            continue
        for name in ("podops cold", "podops no-op", "edit-one", "hugo cold"):
            if name not in bigger["measures"] or name not in result["measures"]:
                continue
            ratio = bigger["measures"][name]["median"] / result["measures"][name]["median"]
            target = ""
            if n == TARGET_N and not name.startswith("hugo"):
                target = f"  target ≤ {TARGET_SCALING}× {'ok' if ratio <= TARGET_SCALING else 'MISSED'}"
                checks.append(f"{place}: {name} at {5 * n} = {ratio:.2f}× the {n} cost{target}")
            print(f"scaling {place} {name}: {5 * n} episodes cost {ratio:.2f}× the {n} cost{target}")
    if probe:
        cbr, vbr = probe["ratio_60m_cbr_to_1m"], probe["ratio_60m_vbr_to_1m"]
        verdict = "ok" if max(cbr, vbr) <= TARGET_PROBE else "MISSED"
        print(f"\nprobe (podops.probe.audio.probe_audio, median of 5, warm page cache): "
              f"60-min CBR {probe['long-60m-cbr']['median'] * 1000:.1f} ms, "
              f"60-min VBR+Xing {probe['long-60m-vbr']['median'] * 1000:.1f} ms, "
              f"1-min CBR {probe['long-1m-cbr']['median'] * 1000:.1f} ms → "
              f"CBR {cbr:.1f}×, VBR {vbr:.1f}× the 1-min probe (target ≤ {TARGET_PROBE}× {verdict})")
        checks.append(f"probe: 60-min CBR {cbr:.1f}×, VBR {vbr:.1f}× the 1-min probe, "
                      f"target ≤ {TARGET_PROBE}× {verdict}")
    return checks
