#!/bin/sh
# MediaMTX runOnOnline / runOnOffline hook: tell GT-Vision at once that a camera's stream went online or
# offline, so its status changes within seconds instead of at the next health poll (every minute).
#   POST $GTV_HOOK_URL  {"event": "online"|"offline", "path": "<camera id>"}
#   X-GTV-Signature: t=<unix seconds>,v1=hex(hmac_sha256(GTV_MEDIAMTX_HOOK_SECRET, "<t>.<body>"))
# Usage (mediamtx.yml): runOnOnline: /usr/local/bin/stream-event.sh online
# Env from MediaMTX: MTX_PATH (camera id). Env from the container: GTV_MEDIAMTX_HOOK_SECRET,
# GTV_HOOK_URL (default http://host.docker.internal:3000/v1/hooks/mediamtx). POSIX sh + openssl + curl.
# A failure is logged and never retried for long: the poller records the change a minute later anyway.
set -u

log() { echo "stream-event: $*" >&2; }

event="${1:-}"
path="${MTX_PATH:-}"
url="${GTV_HOOK_URL:-http://host.docker.internal:3000/v1/hooks/mediamtx}"
secret="${GTV_MEDIAMTX_HOOK_SECRET:-}"

case "$event" in
    online | offline) ;;
    *)
        log "usage: stream-event.sh online|offline"
        exit 2
        ;;
esac
# The path name goes into JSON unescaped: only camera-id characters are allowed.
case "$path" in
    "" | */* | .* | *[!A-Za-z0-9_.-]*)
        log "refusing path name '$path'"
        exit 2
        ;;
esac
if [ -z "$secret" ]; then
    log "GTV_MEDIAMTX_HOOK_SECRET not set; $event of $path not sent"
    exit 0
fi

body=$(printf '{"event": "%s", "path": "%s"}' "$event" "$path")
t=$(date +%s)
sig=$(printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac "$secret" | sed 's/^.*= *//')
if curl -fsS --max-time 5 --retry 2 --retry-delay 1 -o /dev/null \
    -H "Content-Type: application/json" -H "X-GTV-Signature: t=$t,v1=$sig" \
    --data-binary "$body" "$url"; then
    log "$event of $path sent"
else
    log "$event of $path not accepted by $url"
    exit 1
fi
