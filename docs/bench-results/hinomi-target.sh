#!/bin/sh
# Starts hinomi for the bench harness: $1 addr, $2 data dir, $3 config, $4 external url.
BIN=/work/main/target/release/hinomi
"$BIN" --data-dir "$2" integration create bench --key R0BENCH00000000000000000000000000 >/dev/null 2>&1
# Alertmanager has no authentication; the harness sends none, so the Alertmanager API is
# left open here (the default is closed), which measures the same work on both sides.
HINOMI_AUTH__ALERTMANAGER_API_OPEN=true exec "$BIN" serve --listen "$1" --data-dir "$2" --alertmanager-config "$3" --external-url "$4"
