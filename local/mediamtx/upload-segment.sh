#!/bin/sh
# MediaMTX runOnRecordSegmentComplete hook: upload one finished segment to the recordings bucket at
#   s3://$RECORDINGS_BUCKET/recordings/{camera_id}/{YYYY-MM-DD_HH-MM-SS-ffffff}.mp4
# and delete the local file only after S3 accepted it. Segments left behind by an earlier failure are
# retried on the next run for the same camera. POSIX sh + the `aws` CLI (apk add aws-cli).
#
# Env from MediaMTX: MTX_PATH (camera id), MTX_SEGMENT_PATH (file written by recordPath).
# Env from the container: RECORDINGS_BUCKET (default gtvision-recordings), AWS_ENDPOINT_URL (LocalStack,
# MinIO; unset = AWS), AWS_REGION, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
# Tunables: GTV_UPLOAD_ATTEMPTS (5), GTV_UPLOAD_BACKOFF_S (2, doubled per retry), GTV_UPLOAD_TIMEOUT_S (120).
set -u

log() { echo "upload-segment: $*" >&2; }

segment="${MTX_SEGMENT_PATH:-${1:-}}"
camera="${MTX_PATH:-${2:-}}"
bucket="${RECORDINGS_BUCKET:-gtvision-recordings}"
attempts="${GTV_UPLOAD_ATTEMPTS:-5}"
backoff="${GTV_UPLOAD_BACKOFF_S:-2}"
limit="${GTV_UPLOAD_TIMEOUT_S:-120}"

if [ -z "$segment" ] || [ -z "$camera" ]; then
    log "MTX_SEGMENT_PATH and MTX_PATH are required"
    exit 2
fi
# The camera id becomes one key component: refuse anything that could escape recordings/{camera_id}/.
case "$camera" in
    */* | .* | *[!A-Za-z0-9_.-]*)
        log "refusing path name '$camera'"
        exit 2
        ;;
esac

content_type() {
    case "$1" in
        *.ts) echo "video/mp2t" ;;
        *) echo "video/mp4" ;;
    esac
}

# put_once FILE: one PUT of FILE at its contract key; the aws CLI's own timeouts plus an overall limit.
put_once() {
    key="recordings/$camera/$(basename "$1")"
    set -- s3api put-object --bucket "$bucket" --key "$key" --body "$1" \
        --content-type "$(content_type "$1")" --cli-connect-timeout 10 --cli-read-timeout 60
    if [ -n "${AWS_ENDPOINT_URL:-}" ]; then
        set -- "$@" --endpoint-url "$AWS_ENDPOINT_URL"
    fi
    if command -v timeout >/dev/null 2>&1; then
        timeout "$limit" aws "$@" >/dev/null
    else
        aws "$@" >/dev/null
    fi
}

# upload FILE TRIES: retry with exponential backoff; delete FILE only after a successful PUT.
upload() {
    file="$1"
    tries="$2"
    n=1
    wait_s="$backoff"
    while :; do
        if put_once "$file"; then
            rm -f "$file"
            log "uploaded s3://$bucket/recordings/$camera/$(basename "$file")"
            return 0
        fi
        if [ "$n" -ge "$tries" ]; then
            log "giving up on $file after $n attempts; kept for the next run"
            return 1
        fi
        log "attempt $n for $file failed; retrying in ${wait_s}s"
        sleep "$wait_s"
        n=$((n + 1))
        wait_s=$((wait_s * 2))
    done
}

if [ ! -f "$segment" ]; then
    log "segment $segment not found"
    exit 1
fi

upload "$segment" "$attempts"
status=$?

# Leftovers of this camera from failed runs: finished files untouched for 3+ minutes (the segment being
# recorded is written every second, so it is never picked up). One attempt each; the next run retries.
dir="$(dirname "$segment")"
find "$dir" -maxdepth 1 -type f \( -name '*.mp4' -o -name '*.ts' \) -mmin +3 2>/dev/null |
    while IFS= read -r leftover; do
        [ "$leftover" = "$segment" ] || upload "$leftover" 1 || true
    done

exit "$status"
