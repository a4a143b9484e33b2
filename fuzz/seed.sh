#!/bin/sh
# Seeds the fuzz corpora from the project's fixtures and example config.
# Run from the repository root: sh fuzz/seed.sh
set -eu
c=fuzz/corpus
mkdir -p "$c/parse_feed" "$c/canonical" "$c/config" "$c/extract" "$c/sanitize_feed"
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
    cp "$f" "$c/sanitize_feed/$(basename "$f")"
done
# Deep and misnested markup, the shapes that once took minutes (issue 15).
printf '%s' "$(printf '<div>%.0s' $(seq 1 2000))x" > "$c/sanitize_feed/deep-divs"
printf '%s' "$(printf '<span><div></span>%.0s' $(seq 1 500))" > "$c/sanitize_feed/misnested"
printf '%s' "<svg><foreignObject>$(printf '<path/>%.0s' $(seq 1 500))" > "$c/sanitize_feed/svg-breakout"
i=0
grep -rhoE 'https?://[^"<> ]+' fixtures/feeds | sort -u | head -200 | while read -r u; do
    i=$((i + 1))
    printf '%s' "$u" > "$c/canonical/url-$i"
done
cp config/newswire.toml "$c/config/example.toml"
printf '[fetch]\ntimeout = "20s"\nmax_body = "10MiB"\n[[feeds]]\nname = "rt"\nurl = "https://www.rt.com/rss/"\nschedule = "*/15 * * * *"\n' > "$c/config/minimal.toml"
