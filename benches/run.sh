#!/usr/bin/env bash
# The pipeline benchmark (BENCHMARKS.md, "Pipeline"): builds release binaries,
# starts the feed farm on loopback, and measures newswire's polls against the
# limits of its stages, the Python pipeline a user would write instead, and a
# memory soak of the daemon.
#
#   benches/run.sh [PHASE...]      PHASE: cold warm limits scale python soak profile
#                                  scale100k pgcold pgwarm pgtwo (default: all but
#                                  profile, scale100k and the pg* phases)
#
# Environment: BENCH_OUT (results dir, default target/bench), PAGES (article
# pages dir, default shared/extraction-bench/pages beside the project),
# SOAK_SECONDS (default 600), SCALE_FEEDS (default 10000), RUNS (repeats of
# the cheap measurements, best kept; default 3), COLD_RUNS (default 1),
# FARM_PORT (default: a free one; fix it to reuse stores across runs),
# SKIP_BUILD=1, PYTHON (default python3). scale100k (BENCHMARKS.md, "Scale:
# 100,000 feeds"): BIG_FEEDS (default 100000; 20000 for a quicker run),
# BIG_ENTRIES (default 3), BIG_RUN_SECONDS (the daemon's cold ingest, default 400),
# BIG_KILL_AFTER (seconds into the cold poll of the kill -9, default 40).
# pgcold, pgwarm, pgtwo (BENCHMARKS.md, "The store on PostgreSQL beside SQLite"):
# PG_URL (the server, no database; default postgres://postgres@127.0.0.1:5432;
# needs psql and CREATE DATABASE), PG_WARM_ENTRIES (default 2), PG_RUN_SECONDS
# (default 300).
# Needs: cargo, /usr/bin/time, curl, sqlite3, python3 (summary; `pip install feedparser
# trafilatura lxml_html_clean` for the python phase), perf (profile phase).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PHASES=${*:-cold warm limits scale python soak}
OUT=$(mkdir -p "${BENCH_OUT:-target/bench}" && cd "${BENCH_OUT:-target/bench}" && pwd)
FEEDS=100
ENTRIES=20
SCALE_FEEDS=${SCALE_FEEDS:-10000}
SOAK_FEEDS=1000
SOAK_SECONDS=${SOAK_SECONDS:-600}
RUNS=${RUNS:-3}
COLD_RUNS=${COLD_RUNS:-1}
CONCURRENCY=16
PYTHON=${PYTHON:-python3}
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release
RESULTS=$OUT/results.txt

has_phase() { [[ " $PHASES " == *" $1 "* ]]; }
say() { printf '\n== %s\n' "$*" >&2; }
record() { echo "$1=$2" >> "$RESULTS"; echo "  $1 = $2" >&2; }

# --- pages -----------------------------------------------------------------
if [[ -z "${PAGES:-}" ]]; then
  dir=$ROOT
  while [[ "$dir" != / ]]; do
    dir=$(dirname "$dir")
    if [[ -d "$dir/shared/extraction-bench/pages" ]]; then PAGES=$dir/shared/extraction-bench/pages; break; fi
  done
fi
if [[ -z "${PAGES:-}" || -z "$(ls "${PAGES}"/*.html.gz 2>/dev/null | head -1)" ]]; then
  echo "missing: the extraction benchmark's article pages (shared/extraction-bench/pages/*.html.gz" >&2
  echo "beside the project, or PAGES=DIR). The farm serves those real pages; nothing to measure without them." >&2
  exit 2
fi

# --- build -----------------------------------------------------------------
if [[ -z "${SKIP_BUILD:-}" ]]; then
  say "build (release)"
  cargo build --release --features farm --bin newswire --bin feedfarm \
    --example bench_http --example bench_extract --example bench_store >&2
fi
NEWSWIRE=$BIN/newswire
FARM=$BIN/feedfarm
[[ -x "$NEWSWIRE" && -x "$FARM" ]] || { echo "binaries not found in $BIN (set CARGO_TARGET_DIR)" >&2; exit 2; }

{
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >> "$RESULTS"

# --- farm ------------------------------------------------------------------
say "farm: $SCALE_FEEDS feeds x $ENTRIES entries"
FARM_PID=
DAEMON_PID=
cleanup() {
  [[ -n "$DAEMON_PID" ]] && kill "$DAEMON_PID" 2>/dev/null || true
  [[ -n "$FARM_PID" ]] && kill "$FARM_PID" 2>/dev/null || true
}
trap cleanup EXIT
rm -f "$OUT/port"
"$FARM" --feeds "$SCALE_FEEDS" --entries "$ENTRIES" --pages "$PAGES" --port "${FARM_PORT:-0}" > "$OUT/port" 2> "$OUT/farm.log" &
FARM_PID=$!
for _ in $(seq 100); do [[ -s "$OUT/port" ]] && break; sleep 0.1; done
PORT=$(cat "$OUT/port")
[[ -n "$PORT" ]] || { cat "$OUT/farm.log" >&2; exit 1; }
farm_cpu() { curl -s "http://127.0.0.2:$PORT/_farm/stats" | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print(round(d["cpu_user_s"]+d["cpu_sys_s"],2))'; }
conf() { # conf NAME FEEDS FULL_TEXT [SCHEDULE]
  "$FARM" --no-serve --port "$PORT" --feeds "$2" --entries "$ENTRIES" --db "$OUT/$1.db" \
    --full-text "$3" --schedule "${4:-*/15 * * * *}" --concurrency "$CONCURRENCY" \
    --write-config "$OUT/$1.toml"
}
conf cold "$FEEDS" true
conf scale "$SCALE_FEEDS" false
conf daemon "$SCALE_FEEDS" false '*/10 * * * * *'
conf soak "$SOAK_FEEDS" false '*/5 * * * * *'
"$FARM" --no-serve --port "$PORT" --feeds "$FEEDS" --entries "$ENTRIES" \
  --write-urls "$OUT/urls.txt" --write-feeds "$OUT/feeds.txt"
fresh() { rm -f "$OUT/$1.db" "$OUT/$1.db-wal" "$OUT/$1.db-shm"; }

# timed NAME CMD...: wall, user, sys, max RSS of CMD, and the farm's CPU meanwhile.
timed() {
  local name=$1; shift
  local before; before=$(farm_cpu)
  /usr/bin/time -f '%e %U %S %M' -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2> "$OUT/$name.log" || {
    echo "$name failed; see $OUT/$name.log" >&2; tail -5 "$OUT/$name.log" >&2; return 1; }
  local after; after=$(farm_cpu)
  read -r wall user sys rss < "$OUT/$name.time"
  record "$name.wall_s" "$wall"
  record "$name.cpu_s" "$(awk "BEGIN {print $user + $sys}")"
  record "$name.rss_mb" "$((rss / 1024))"
  record "$name.farm_cpu_s" "$(awk "BEGIN {print $after - $before}")"
  tail -1 "$OUT/$name.out" >&2
}

# best NAME RUNS SETUP CMD...: runs CMD RUNS times (SETUP before each), records the fastest.
best() {
  local name=$1 runs=$2 setup=$3; shift 3
  local best_wall=
  for r in $(seq "$runs"); do
    eval "$setup"
    timed "$name.$r" "$@"
    local w; w=$(cut -d' ' -f1 "$OUT/$name.$r.time")
    if [[ -z "$best_wall" ]] || awk "BEGIN {exit !($w < $best_wall)}"; then
      best_wall=$w
      cp "$OUT/$name.$r.time" "$OUT/$name.time"
      cp "$OUT/$name.$r.out" "$OUT/$name.out"
    fi
  done
  read -r wall user sys rss < "$OUT/$name.time"
  record "$name.wall_s" "$wall"
  record "$name.cpu_s" "$(awk "BEGIN {print $user + $sys}")"
  record "$name.rss_mb" "$((rss / 1024))"
}

# fill NAME FEEDS: a cold poll without full text into a fresh NAME.db,
# bounded by FILL_SECONDS; feeds it did not reach get the farm's validators
# by SQL, so a following poll sends a conditional GET for every feed.
fill() {
  local name=$1 feeds=$2
  fresh "$name"
  /usr/bin/time -f '%e %U %S %M' -o "$OUT/${name}_fill.time" timeout --signal=INT "${FILL_SECONDS:-300}" \
    "$NEWSWIRE" --config "$OUT/$name.toml" poll > "$OUT/${name}_fill.out" 2> "$OUT/${name}_fill.log" || true
  local wall user sys rss
  read -r wall user sys rss < <(tail -1 "$OUT/${name}_fill.time")
  record "${name}_fill.wall_s" "$wall"
  record "${name}_fill.rss_mb" "$((rss / 1024))"
  record "${name}_fill.feeds_polled" "$(sqlite3 "$OUT/$name.db" 'SELECT count(*) FROM feeds WHERE last_polled_at IS NOT NULL')"
  record "${name}_fill.items" "$(sqlite3 "$OUT/$name.db" 'SELECT count(*) FROM items')"
  sqlite3 "$OUT/$name.db" "UPDATE feeds SET etag = '\"feed-' || CAST(substr(name, 6) AS INTEGER) || '-$ENTRIES\"',
    last_modified = 'Fri, 27 Nov 2026 12:00:00 GMT' WHERE last_polled_at IS NULL"
  # A warm poll under the config's own schedule stores its due times.
  "$NEWSWIRE" --config "$OUT/$name.toml" poll > /dev/null 2>&1
}

# --- cold and warm: 100 feeds x 20 entries with full text -----------------
if has_phase cold; then
  say "cold: $FEEDS feeds x $ENTRIES entries, full text, fresh store (best of $COLD_RUNS)"
  best cold "$COLD_RUNS" 'fresh cold' "$NEWSWIRE" --config "$OUT/cold.toml" poll
  record cold.items "$(sqlite3 "$OUT/cold.db" 'SELECT count(*) FROM items')"
  record cold.extracted "$(sqlite3 "$OUT/cold.db" "SELECT count(*) FROM items WHERE extraction IN ('extracted','site_rule')")"
fi
if has_phase warm; then
  [[ -s "$OUT/cold.db" ]] || { fresh cold; "$NEWSWIRE" --config "$OUT/cold.toml" poll > /dev/null 2>&1; }
  say "warm: the same poll again, every feed 304 (best of $RUNS)"
  best warm "$RUNS" ':' "$NEWSWIRE" --config "$OUT/cold.toml" poll
fi

# --- limits: the same pages and rows, each stage alone ----------------------
if has_phase limits; then
  say "limits: HTTP GET of the same $((FEEDS * ENTRIES)) pages at concurrency $CONCURRENCY"
  for r in $(seq "$RUNS"); do "$BIN/examples/bench_http" "$OUT/urls.txt" --concurrency "$CONCURRENCY"; done | tee "$OUT/limit_http.out" >&2
  record limit.http_s "$(grep '^http reqwest' "$OUT/limit_http.out" | sed -E 's/.* ([0-9.]+) s, .*/\1/' | sort -n | head -1)"
  record limit.fetcher_s "$(grep '^http newswire-fetch' "$OUT/limit_http.out" | sed -E 's/.* ([0-9.]+) s, .*/\1/' | sort -n | head -1)"
  record limit.fetcher_cpu_s "$(grep '^http newswire-fetch' "$OUT/limit_http.out" | sed -E 's/.*cpu ([0-9.]+) s.*/\1/' | sort -n | head -1)"
  record machine.cores "$(nproc)"
  say "limits: extractor alone over the same pages, one core and every core (best of $RUNS)"
  "$BIN/examples/bench_extract" "$OUT/urls.txt" --rounds "$RUNS" | tee "$OUT/limit_extract.out" >&2
  record limit.extract_one_core_s "$(sed -E 's/.* pages, ([0-9.]+) s, .*/\1/' "$OUT/limit_extract.out")"
  # The poll extracts on every core, so that is its limit.
  "$BIN/examples/bench_extract" "$OUT/urls.txt" --rounds "$RUNS" --threads "$(nproc)" | tee "$OUT/limit_extract_all.out" >&2
  record limit.extract_s "$(sed -E 's/.* pages, ([0-9.]+) s, .*/\1/' "$OUT/limit_extract_all.out")"
  if [[ -s "$OUT/cold.db" ]]; then
    say "limits: SQLite inserts of the same rows"
    "$BIN/examples/bench_store" "$OUT/cold.toml" "$OUT/cold.db" "$OUT/store" | tee "$OUT/limit_store.out" >&2
    record limit.store_raw_s "$(grep '^store raw' "$OUT/limit_store.out" | sed -E 's/.* items, ([0-9.]+) s, .*/\1/')"
    record limit.store_record_poll_s "$(grep '^store record_poll (' "$OUT/limit_store.out" | sed -E 's/.* items, ([0-9.]+) s, .*/\1/')"
    record limit.store_record_polls_s "$(grep '^store record_polls (' "$OUT/limit_store.out" | sed -E 's/.* items, ([0-9.]+) s, .*/\1/')"
  fi
fi

# --- scale: 10,000 feeds ----------------------------------------------------
if has_phase scale; then
  say "scale: $SCALE_FEEDS feeds, cold fill without full text"
  fill scale "$SCALE_FEEDS"
  say "scale: warm poll of $SCALE_FEEDS feeds (best of $RUNS)"
  best scale_warm "$RUNS" ':' "$NEWSWIRE" --config "$OUT/scale.toml" poll
  say "scale: the daemon on $SCALE_FEEDS warm feeds, every 10 s, for 60 s"
  fresh daemon
  cp "$OUT/scale.db" "$OUT/daemon.db"
  # A poll under the daemon's own schedule stores due times within 10 s.
  "$NEWSWIRE" --config "$OUT/daemon.toml" poll > /dev/null 2>&1
  polls_before=$(sqlite3 "$OUT/daemon.db" 'SELECT count(*) FROM fetches')
  "$NEWSWIRE" --config "$OUT/daemon.toml" run > /dev/null 2> "$OUT/daemon.log" &
  DAEMON_PID=$!
  sleep 60
  record daemon.vmhwm_mb "$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$DAEMON_PID/status")"
  record daemon.vmrss_mb "$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$DAEMON_PID/status")"
  kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" || true; DAEMON_PID=
  record daemon.polls_60s "$(( $(sqlite3 "$OUT/daemon.db" 'SELECT count(*) FROM fetches') - polls_before ))"
fi

# --- python: the pipeline a user would write instead ------------------------
if has_phase python; then
  if "$PYTHON" -c 'import feedparser, trafilatura' 2>/dev/null; then
    say "python: feedparser + trafilatura + sqlite3, $CONCURRENCY threads, cold $FEEDS x $ENTRIES"
    rm -f "$OUT/python.db"
    timed python "$PYTHON" "$ROOT/benches/python_pipeline.py" "$OUT/feeds.txt" "$OUT/python.db" --threads "$CONCURRENCY"
  else
    echo "python phase skipped: pip install feedparser trafilatura lxml_html_clean requests" >&2
  fi
fi

# --- soak: the daemon on 1,000 warm feeds -----------------------------------
if has_phase soak; then
  say "soak: daemon, $SOAK_FEEDS warm feeds every 5 s, ${SOAK_SECONDS} s, RSS every 10 s"
  FILL_SECONDS=${SOAK_FILL_SECONDS:-120} fill soak "$SOAK_FEEDS"
  polls_before=$(sqlite3 "$OUT/soak.db" 'SELECT count(*) FROM fetches')
  "$NEWSWIRE" --config "$OUT/soak.toml" run > /dev/null 2> "$OUT/soak.log" &
  DAEMON_PID=$!
  : > "$OUT/soak_rss.txt"
  for t in $(seq 0 10 "$SOAK_SECONDS"); do
    [[ $t -gt 0 ]] && sleep 10
    echo "$t $(awk '/VmRSS/ {print $2}' "/proc/$DAEMON_PID/status")" >> "$OUT/soak_rss.txt"
  done
  record soak.vmhwm_mb "$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$DAEMON_PID/status")"
  kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" || true; DAEMON_PID=
  record soak.polls "$(( $(sqlite3 "$OUT/soak.db" 'SELECT count(*) FROM fetches') - polls_before ))"
  record soak.seconds "$SOAK_SECONDS"
  "$PYTHON" - "$OUT/soak_rss.txt" >> "$RESULTS" <<'EOF'
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 2]
kb = [r[1] for r in rows]
third = max(1, len(kb) // 3)
first, last = sum(kb[:third]) / third, sum(kb[-third:]) / third
print(f"soak.rss_first_third_mb={first/1024:.1f}")
print(f"soak.rss_last_third_mb={last/1024:.1f}")
print(f"soak.rss_min_mb={min(kb)/1024:.1f}")
print(f"soak.rss_max_mb={max(kb)/1024:.1f}")
EOF
  tail -4 "$RESULTS" >&2
fi

# --- profile: where the time goes (perf) ------------------------------------
if has_phase profile; then
  say "profile: perf record of the cold and the warm $SCALE_FEEDS-feed polls"
  fresh cold
  perf record -F 49 --call-graph dwarf,8192 -o "$OUT/cold.perf" -- \
    "$NEWSWIRE" --config "$OUT/cold.toml" poll > /dev/null 2> "$OUT/cold_perf.log"
  [[ -s "$OUT/scale.db" ]] || "$NEWSWIRE" --config "$OUT/scale.toml" poll > /dev/null 2>&1
  perf record -F 499 --call-graph dwarf,8192 -o "$OUT/warm.perf" -- \
    "$NEWSWIRE" --config "$OUT/scale.toml" poll > /dev/null 2> "$OUT/warm_perf.log"
  for p in cold warm; do
    perf report -i "$OUT/$p.perf" --no-children --sort dso,symbol --stdio 2>/dev/null \
      | grep -v '^#' | grep '%' | head -40 > "$OUT/$p.self.txt" || true
    perf report -i "$OUT/$p.perf" --children --sort symbol --stdio -g none 2>/dev/null \
      | grep -v '^#' | grep '%' | head -150 > "$OUT/$p.children.txt" || true
    echo "top self costs ($p): $OUT/$p.self.txt; inclusive: $OUT/$p.children.txt" >&2
    echo "stage roots ($p), share of CPU samples:" >&2
    grep -E '\] (newswire::(store::write::<impl newswire::store::Store>::record_poll|fetch::Fetcher::get::|extract::(extract|decode_html)$|parse::parse_feed|store::stories_hook::assign_story|stories::fingerprint::Fingerprint::from_text|store::Store::sync_feeds|daemon::open_store)|sqlite3Prepare|fts5IndexFlush)' \
      "$OUT/$p.children.txt" | sed -E 's/^ *([0-9.]+%) +[0-9.]+% +\[.\] +/  \1  /; s/ +-.*$//' >&2 || true
  done
fi

# --- scale100k: 100,000 small feeds, title-only items ----------------------
if has_phase scale100k; then
  BIG=${BIG_FEEDS:-100000}
  BIG_ENTRIES=${BIG_ENTRIES:-3}
  say "scale100k: farm of $BIG feeds x $BIG_ENTRIES entries, full_text = false, per-host limits lifted"
  "$FARM" --feeds "$BIG" --entries "$BIG_ENTRIES" --pages "$PAGES" --port 0 > "$OUT/big_port" 2> "$OUT/big_farm.log" &
  BIG_FARM_PID=$!
  trap 'cleanup; kill "$BIG_FARM_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 300); do [[ -s "$OUT/big_port" ]] && break; sleep 0.1; done
  BIG_PORT=$(cat "$OUT/big_port")
  [[ -n "$BIG_PORT" ]] || { cat "$OUT/big_farm.log" >&2; exit 1; }
  "$FARM" --no-serve --port "$BIG_PORT" --feeds "$BIG" --entries "$BIG_ENTRIES" --db "$OUT/big.db" \
    --full-text false --concurrency "$CONCURRENCY" --per-host-concurrency "$CONCURRENCY" \
    --write-config "$OUT/big.toml"
  record big.feeds "$BIG"
  # threads PID FILE: CPU seconds per thread name of a running process, every
  # second, the last sample kept (the process's totals just before it ends).
  threads() {
    local pid=$1 file=$2 tck; tck=$(getconf CLK_TCK)
    while kill -0 "$pid" 2>/dev/null; do
      cat /proc/"$pid"/task/*/stat 2>/dev/null | awk -v t="$tck" '{
          n = $0; sub(/^[0-9]+ \(/, "", n); sub(/\) .*/, "", n); sub(/-[0-9]+$/, "", n)
          r = $0; sub(/^.*\) /, "", r); split(r, f, " ")
          cpu[n] += (f[12] + f[13]) / t }
        END { for (n in cpu) printf "%s %.1f\n", n, cpu[n] }' > "$file.tmp" && mv "$file.tmp" "$file"
      sleep 1
    done
  }
  # watched NAME CMD...: `timed` with the per-thread CPU beside it.
  watched() {
    local name=$1; shift
    /usr/bin/time -f '%e %U %S %M' -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2> "$OUT/$name.log" &
    local pid=$!
    sleep 0.2
    threads "$(pgrep -P "$pid" | head -1)" "$OUT/$name.threads" &
    local sampler=$!
    wait "$pid" || { echo "$name failed; see $OUT/$name.log" >&2; tail -5 "$OUT/$name.log" >&2; }
    wait "$sampler" 2>/dev/null || true
    read -r wall user sys rss < "$OUT/$name.time"
    record "$name.wall_s" "$wall"
    record "$name.cpu_s" "$(awk "BEGIN {print $user + $sys}")"
    record "$name.rss_mb" "$((rss / 1024))"
    [[ -s "$OUT/$name.threads" ]] && record "$name.thread_cpu_s" "$(sort "$OUT/$name.threads" | tr ' \n' ':,' | sed 's/,$//')"
  }
  consistent() { # consistent NAME: every entry of every feed stored exactly once
    local db=$OUT/big.db
    record "$1.integrity" "$(sqlite3 "$db" 'PRAGMA integrity_check' | head -1)"
    record "$1.items" "$(sqlite3 "$db" 'SELECT count(*) FROM items')"
    record "$1.sources" "$(sqlite3 "$db" 'SELECT count(*) FROM item_sources')"
    record "$1.duplicate_urls" "$(sqlite3 "$db" 'SELECT count(*) - count(DISTINCT canonical_url) FROM items')"
    record "$1.items_without_source" "$(sqlite3 "$db" 'SELECT count(*) FROM items WHERE id NOT IN (SELECT item_id FROM item_sources)')"
    record "$1.expected" "$((BIG * BIG_ENTRIES))"
  }
  fresh big
  say "scale100k: cold poll of $BIG feeds (fresh store)"
  watched big_cold "$NEWSWIRE" --config "$OUT/big.toml" poll
  consistent big_cold
  record big_cold.db_mb "$(( $(stat -c %s "$OUT/big.db") / 1000000 ))"
  record big_cold.items_per_s "$(awk "BEGIN {print int($(sqlite3 "$OUT/big.db" 'SELECT count(*) FROM items') / $(cut -d' ' -f1 "$OUT/big_cold.time"))}")"
  say "scale100k: warm poll (every feed 304)"
  watched big_warm "$NEWSWIRE" --config "$OUT/big.toml" poll
  say "scale100k: the store alone, the same rows (items/s beside the pipeline's)"
  # Grouped only: one transaction per poll is the old writer, measured at 20,000 feeds.
  "$BIN/examples/bench_store" "$OUT/big.toml" "$OUT/big.db" "$OUT/big_store" --grouped-only | tee "$OUT/big_store.out" >&2
  record big_store.record_polls_s "$(grep '^store record_polls (' "$OUT/big_store.out" | sed -E 's/.* items, ([0-9.]+) s, .*/\1/')"
  say "scale100k: kill -9 ${BIG_KILL_AFTER:-40} s into a cold poll, then a poll to the end"
  fresh big
  "$NEWSWIRE" --config "$OUT/big.toml" poll > /dev/null 2> "$OUT/big_kill.log" &
  kpid=$!
  sleep "${BIG_KILL_AFTER:-40}"
  kill -9 "$kpid" 2>/dev/null || true; wait "$kpid" 2>/dev/null || true
  record big_kill.items_at_kill "$(sqlite3 "$OUT/big.db" 'SELECT count(*) FROM items')"
  "$NEWSWIRE" --config "$OUT/big.toml" poll > /dev/null 2>> "$OUT/big_kill.log"
  consistent big_kill
  say "scale100k: the daemon's cold ingest (fresh store, up to ${BIG_RUN_SECONDS:-400} s)"
  fresh big
  "$NEWSWIRE" --config "$OUT/big.toml" run > /dev/null 2> "$OUT/big_run.log" &
  DAEMON_PID=$!
  started=$(date +%s.%N)
  sleep 2
  until [[ "$(sqlite3 "$OUT/big.db" 'SELECT count(*) FROM feeds WHERE last_polled_at IS NOT NULL' 2>/dev/null || echo 0)" -ge "$BIG" ]]; do
    sleep 1
    awk "BEGIN {exit !($(date +%s.%N) - $started > ${BIG_RUN_SECONDS:-400})}" && break
  done
  record big_run.wall_s "$(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $started}")"
  record big_run.feeds_polled "$(sqlite3 "$OUT/big.db" 'SELECT count(*) FROM feeds WHERE last_polled_at IS NOT NULL')"
  record big_run.vmhwm_mb "$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$DAEMON_PID/status")"
  kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" || true; DAEMON_PID=
  kill "$BIG_FARM_PID" 2>/dev/null || true
fi

# --- pgcold, pgwarm, pgtwo: the same polls on PostgreSQL beside SQLite ------
# PG_URL: the server, without a database (default postgres://postgres@127.0.0.1:5432);
# each phase creates its own nwbench_* database and drops it at the end.
# The server's CPU is read from /proc: every postgres process's utime+stime plus
# the postmaster's reaped children (backends that ended), so run it where the
# server runs, and on a server nobody else is using at the time.
if has_phase pgcold || has_phase pgwarm || has_phase pgtwo; then
  PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
  command -v psql > /dev/null || { echo "pg phases need psql" >&2; exit 2; }
  pg_cpu() {
    local pm; pm=$(pgrep -o -x postgres) || { echo 0; return; }
    { for p in $(pgrep -x postgres); do cat "/proc/$p/stat" 2>/dev/null; done; echo "PM $(cat "/proc/$pm/stat")"; } \
      | awk -v t="$(getconf CLK_TCK)" '/^PM / {s += $17 + $18; next} {s += $14 + $15} END {printf "%.2f\n", s / t}'
  }
  pgdb() { # pgdb NAME: a fresh empty database nwbench_NAME
    psql "$PG_URL/postgres" -qXc "DROP DATABASE IF EXISTS nwbench_$1 WITH (FORCE)" > /dev/null
    psql "$PG_URL/postgres" -qXc "CREATE DATABASE nwbench_$1" > /dev/null
  }
  pgdrop() { psql "$PG_URL/postgres" -qXc "DROP DATABASE IF EXISTS nwbench_$1 WITH (FORCE)" > /dev/null; }
  pgsql() { psql "$PG_URL/nwbench_$1" -qAtXc "$2"; }
  pgconf() { # pgconf SRC DB DEST [INSTANCE]: config SRC with its store on database nwbench_DB
    sed "s|^path = .*|url = \"$PG_URL/nwbench_$2?sslmode=disable\"|" "$OUT/$1.toml" > "$OUT/$3.toml"
    [[ -z "${4:-}" ]] || printf '\n[cluster]\ninstance = "%s"\n' "$4" >> "$OUT/$3.toml"
  }
  per_k() { awk "BEGIN {printf \"%.2f\", $1 * 1000 / ($2 > 0 ? $2 : 1)}"; }
  # pgtimed NAME ITEMS_SQL... CMD: `timed` with the server's CPU beside it.
  pgtimed() {
    local name=$1; shift
    local before; before=$(pg_cpu)
    timed "$name" "$@"
    record "$name.pg_cpu_s" "$(awk "BEGIN {printf \"%.2f\", $(pg_cpu) - $before}")"
  }
fi

if has_phase pgcold; then
  say "pgcold: $FEEDS feeds x $ENTRIES entries, full text, fresh store: SQLite, then PostgreSQL"
  fresh cold
  pgtimed pgcold_sqlite "$NEWSWIRE" --config "$OUT/cold.toml" poll
  n=$(sqlite3 "$OUT/cold.db" 'SELECT count(*) FROM items')
  record pgcold_sqlite.items "$n"
  record pgcold_sqlite.items_per_s "$(awk "BEGIN {printf \"%d\", $n / $(cut -d' ' -f1 "$OUT/pgcold_sqlite.time")}")"
  record pgcold_sqlite.cpu_per_1k_items "$(per_k "$(awk '{print $2 + $3}' "$OUT/pgcold_sqlite.time")" "$n")"
  pgdb cold
  pgconf cold cold pgcold
  pgtimed pgcold_pg "$NEWSWIRE" --config "$OUT/pgcold.toml" poll
  n=$(pgsql cold 'SELECT count(*) FROM items')
  record pgcold_pg.items "$n"
  record pgcold_pg.stories "$(pgsql cold 'SELECT count(*) FROM stories')"
  record pgcold_pg.items_per_s "$(awk "BEGIN {printf \"%d\", $n / $(cut -d' ' -f1 "$OUT/pgcold_pg.time")}")"
  record pgcold_pg.cpu_per_1k_items "$(per_k "$(awk '{print $2 + $3}' "$OUT/pgcold_pg.time")" "$n")"
  record pgcold_pg.pg_cpu_per_1k_items "$(per_k "$(grep '^pgcold_pg.pg_cpu_s=' "$RESULTS" | tail -1 | cut -d= -f2)" "$n")"
  pgdrop cold
fi

# pgwarm: a farm of its own, SCALE_FEEDS feeds x PG_WARM_ENTRIES (default 2)
# title-only entries, so that filling PostgreSQL takes minutes, not hours.
if has_phase pgwarm; then
  WE=${PG_WARM_ENTRIES:-2}
  say "pgwarm: farm of $SCALE_FEEDS feeds x $WE entries; warm poll (all 304) on SQLite and PostgreSQL"
  "$FARM" --feeds "$SCALE_FEEDS" --entries "$WE" --pages "$PAGES" --port 0 > "$OUT/pgwarm_port" 2> "$OUT/pgwarm_farm.log" &
  WARM_FARM_PID=$!
  trap 'cleanup; kill "$WARM_FARM_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 300); do [[ -s "$OUT/pgwarm_port" ]] && break; sleep 0.1; done
  WPORT=$(cat "$OUT/pgwarm_port")
  "$FARM" --no-serve --port "$WPORT" --feeds "$SCALE_FEEDS" --entries "$WE" --db "$OUT/pgwarm.db" \
    --full-text false --concurrency "$CONCURRENCY" --write-config "$OUT/pgwarm.toml"
  pgdb warm
  pgconf pgwarm warm pgwarm_pg
  validators="UPDATE feeds SET etag = '\"feed-' || CAST(substr(name, 6) AS INTEGER) || '-$WE\"',
    last_modified = 'Fri, 27 Nov 2026 12:00:00 GMT' WHERE last_polled_at IS NULL"
  fresh pgwarm
  for store in sqlite pg; do
    cfg=$OUT/pgwarm.toml; [[ $store == pg ]] && cfg=$OUT/pgwarm_pg.toml
    pgtimed "pgwarm_${store}_fill" timeout --signal=INT "${FILL_SECONDS:-300}" "$NEWSWIRE" --config "$cfg" poll || true
    if [[ $store == sqlite ]]; then
      record pgwarm_sqlite_fill.items "$(sqlite3 "$OUT/pgwarm.db" 'SELECT count(*) FROM items')"
      sqlite3 "$OUT/pgwarm.db" "$validators"
    else
      record pgwarm_pg_fill.items "$(pgsql warm 'SELECT count(*) FROM items')"
      pgsql warm "$validators" > /dev/null
    fi
    "$NEWSWIRE" --config "$cfg" poll > /dev/null 2>&1
    for r in $(seq "$RUNS"); do pgtimed "pgwarm_$store.$r" "$NEWSWIRE" --config "$cfg" poll; done
  done
  record pgwarm_pg.fetches_by_status "$(pgsql warm "SELECT string_agg(status || ':' || c, ',') FROM (SELECT status, count(*) c FROM fetches GROUP BY status) s")"
  kill "$WARM_FARM_PID" 2>/dev/null || true
  pgdrop warm
fi

# pgtwo: `newswire run` on a fresh database over the cold farm, one daemon
# then two (distinct [cluster] instance), stopped with SIGTERM once every
# item is stored (or after PG_RUN_SECONDS, default 300).
if has_phase pgtwo; then
  expected=$((FEEDS * ENTRIES))
  for n in 1 2; do
    say "pgtwo: $n daemon(s) on one PostgreSQL database, cold $FEEDS x $ENTRIES, full text"
    pgdb "two$n"
    pids=()
    before=$(pg_cpu)
    started=$(date +%s.%N)
    for i in $(seq "$n"); do
      pgconf cold "two$n" "pgtwo${n}_$i" "bench-$n-$i"
      "$NEWSWIRE" --config "$OUT/pgtwo${n}_$i.toml" run > /dev/null 2> "$OUT/pgtwo${n}_$i.log" &
      pids+=($!)
    done
    got=0
    until [[ "$got" -ge "$expected" ]]; do
      sleep 0.5
      got=$(pgsql "two$n" 'SELECT count(*) FROM items' 2>/dev/null || echo 0)
      awk "BEGIN {exit !($(date +%s.%N) - $started > ${PG_RUN_SECONDS:-300})}" && break
    done
    wall=$(awk "BEGIN {printf \"%.2f\", $(date +%s.%N) - $started}")
    cpu=0
    for p in "${pids[@]}"; do
      c=$(awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / t}' "/proc/$p/stat")
      cpu=$(awk "BEGIN {print $cpu + $c}")
    done
    pgc=$(awk "BEGIN {printf \"%.2f\", $(pg_cpu) - $before}")
    for p in "${pids[@]}"; do kill -TERM "$p"; done
    for p in "${pids[@]}"; do wait "$p" || true; done
    got=$(pgsql "two$n" 'SELECT count(*) FROM items')
    record "pgtwo$n.items" "$got"
    record "pgtwo$n.wall_s" "$wall"
    record "pgtwo$n.items_per_s" "$(awk "BEGIN {printf \"%d\", $got / $wall}")"
    record "pgtwo$n.cpu_s" "$cpu"
    record "pgtwo$n.cpu_per_1k_items" "$(per_k "$cpu" "$got")"
    record "pgtwo$n.pg_cpu_s" "$pgc"
    record "pgtwo$n.pg_cpu_per_1k_items" "$(per_k "$pgc" "$got")"
    record "pgtwo$n.fetches_by_instance" "$(pgsql "two$n" "SELECT string_agg(instance || ':' || c, ',') FROM (SELECT instance, count(*) c FROM fetches GROUP BY instance) s")"
    pgdrop "two$n"
  done
fi

echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$RESULTS"
say "summary"
"$PYTHON" "$ROOT/benches/summary.py" "$RESULTS" "$FEEDS" "$ENTRIES" "$SCALE_FEEDS" | tee "$OUT/summary.txt"
