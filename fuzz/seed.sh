#!/bin/sh
# Seeds the fuzz corpora from the project's fixtures and example config.
# Run from the repository root: sh fuzz/seed.sh
set -eu
c=fuzz/corpus
mkdir -p "$c/parse_feed" "$c/canonical" "$c/config" "$c/extract"
for f in fixtures/feeds/*; do
    case "$f" in *.expected.json|*.py) continue ;; esac
    name=$(basename "$f")
    # First byte 0: no Content-Type; 3: text/html.
    { printf '\000'; cat "$f"; } > "$c/parse_feed/$name"
    { printf '\003'; cat "$f"; } > "$c/parse_feed/$name.html-ct"
done
for f in fixtures/feeds/*.html fixtures/pages/*.html; do
    [ -f "$f" ] || continue
    { printf '\001'; cat "$f"; } > "$c/extract/$(basename "$f")"
    { printf '\201'; cat "$f"; } > "$c/extract/$(basename "$f").rule"
done
i=0
grep -rhoE 'https?://[^"<> ]+' fixtures/feeds | sort -u | head -200 | while read -r u; do
    i=$((i + 1))
    printf '%s' "$u" > "$c/canonical/url-$i"
done
cp config/newswire.toml "$c/config/example.toml"
printf '[fetch]\ntimeout = "20s"\nmax_body = "10MiB"\n[[feeds]]\nname = "rt"\nurl = "https://www.rt.com/rss/"\nschedule = "*/15 * * * *"\n' > "$c/config/minimal.toml"
