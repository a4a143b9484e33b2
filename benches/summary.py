#!/usr/bin/env python3
"""Turns benches/run.sh's results.txt (key=value lines, the last one of a key
wins) into the figures and ratios of BENCHMARKS.md, "Pipeline".

Usage: summary.py RESULTS FEEDS ENTRIES SCALE_FEEDS
"""
import sys


def main():
    path, feeds, entries, scale_feeds = sys.argv[1], *map(int, sys.argv[2:5])
    r = {}
    for line in open(path):
        if "=" in line and not line.startswith("#"):
            k, v = line.strip().split("=", 1)
            try:
                r[k] = float(v)
            except ValueError:
                pass
    out = []

    def line(label, value, target=""):
        out.append(f"{label:<58} {value:>16}  {target}")

    def ok(good):
        return "OK" if good else "MISSED"

    if "cold.wall_s" in r:
        wall, cpu, items = r["cold.wall_s"], r["cold.cpu_s"], r.get("cold.items", feeds * entries)
        line("cold poll, 100 feeds x 20 entries, full text: wall", f"{wall:.2f} s")
        line("  feeds/s | items/s", f"{feeds / wall:.1f} | {items / wall:.0f}")
        line("  CPU s per 1,000 items (user+sys)", f"{cpu / items * 1000:.2f}")
        line("  peak RSS", f"{r['cold.rss_mb']:.0f} MB")
        line("  items stored | extracted", f"{items:.0f} | {r.get('cold.extracted', 0):.0f}")
        if "cold.1.farm_cpu_s" in r:
            line("  farm's own CPU meanwhile", f"{r['cold.1.farm_cpu_s']:.2f} s")
    if "warm.wall_s" in r:
        line("warm poll, same 100 feeds, all 304: wall", f"{r['warm.wall_s']:.2f} s")
        line("  CPU", f"{r['warm.cpu_s']:.2f} s")
    limits = {k: r[k] for k in ("limit.http_s", "limit.extract_s", "limit.store_raw_s") if k in r}
    if limits:
        line("limit: raw HTTP GET of the 2,000 pages (reqwest, 16)", f"{r.get('limit.http_s', 0):.2f} s")
        if "limit.fetcher_s" in r:
            line("  same through newswire's Fetcher", f"{r['limit.fetcher_s']:.2f} s")
        if "limit.extract_one_core_s" in r:
            line("limit: extractor alone, one core", f"{r['limit.extract_one_core_s']:.2f} s")
        line("limit: extractor alone, every core", f"{r.get('limit.extract_s', 0):.2f} s")
        line("limit: raw SQLite inserts, one transaction", f"{r.get('limit.store_raw_s', 0):.2f} s")
        if "limit.store_record_poll_s" in r:
            line("  same rows through Store::record_poll", f"{r['limit.store_record_poll_s']:.2f} s")
        slowest = max(limits.values())
        if "cold.wall_s" in r:
            ratio = r["cold.wall_s"] / slowest
            line("cold poll / slowest limit", f"{ratio:.2f}x", f"target <= 1.5x: {ok(ratio <= 1.5)}")
            parts = ("limit.extract_one_core_s", "limit.fetcher_cpu_s", "limit.store_record_poll_s")
            if all(k in r for k in parts) and r.get("machine.cores"):
                spread = sum(r[k] for k in parts) / r["machine.cores"]
                line("stages' own CPU (fetch + extract + store) over the cores", f"{spread:.2f} s")
                line("cold poll / that", f"{r['cold.wall_s'] / spread:.2f}x", "pipeline overhead")
            stages = {
                "fetch": r.get("limit.fetcher_cpu_s", r.get("limit.fetcher_s", r.get("limit.http_s", 0))),
                "extract": r.get("limit.extract_one_core_s", r.get("limit.extract_s", 0)),
                "store": r.get("limit.store_record_poll_s", r.get("limit.store_raw_s", 0)),
            }
            total = sum(stages.values()) or 1
            line("stage shares of that CPU",
                 " / ".join(f"{k} {v / total:.0%}" for k, v in stages.items()))
    if "scale_warm.wall_s" in r:
        w = r["scale_warm.wall_s"]
        line(f"scale: cold fill of {scale_feeds} feeds, no full text: wall", f"{r.get('scale_fill.wall_s', 0):.2f} s")
        line("  peak RSS", f"{r.get('scale_fill.rss_mb', 0):.0f} MB")
        line(f"scale: warm poll of {scale_feeds} feeds: wall", f"{w:.2f} s", f"target <= 5 s: {ok(w <= 5)}")
        line("  feeds/s | CPU", f"{scale_feeds / w:.0f} | {r['scale_warm.cpu_s']:.2f} s")
        line("  peak RSS", f"{r['scale_warm.rss_mb']:.0f} MB", f"target <= 100 MB: {ok(r['scale_warm.rss_mb'] <= 100)}")
    if "daemon.vmhwm_mb" in r:
        line(f"daemon on {scale_feeds} warm feeds, every 10 s, 60 s: VmHWM", f"{r['daemon.vmhwm_mb']:.0f} MB",
             f"target <= 100 MB: {ok(r['daemon.vmhwm_mb'] <= 100)}")
        line("  304 polls done in 60 s", f"{r.get('daemon.polls_60s', 0):.0f}")
    if "python.wall_s" in r:
        line("python (feedparser+trafilatura+sqlite3, 16 threads): wall", f"{r['python.wall_s']:.1f} s")
        line("  CPU | peak RSS", f"{r['python.cpu_s']:.1f} s | {r['python.rss_mb']:.0f} MB")
        if "cold.wall_s" in r:
            ratio = r["python.wall_s"] / r["cold.wall_s"]
            line("newswire cold throughput / python's", f"{ratio:.1f}x", f"target >= 10x: {ok(ratio >= 10)}")
    if "soak.rss_last_third_mb" in r:
        a, b = r["soak.rss_first_third_mb"], r["soak.rss_last_third_mb"]
        line(f"soak: 1,000 feeds every 5 s for {r.get('soak.seconds', 0):.0f} s: RSS first/last third",
             f"{a:.1f} / {b:.1f} MB", "grows" if b > a * 1.05 + 1 else "flat")
        line("  min / max / VmHWM", f"{r['soak.rss_min_mb']:.1f} / {r['soak.rss_max_mb']:.1f} / {r['soak.vmhwm_mb']:.0f} MB")
        line("  304 polls", f"{r.get('soak.polls', 0):.0f}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
