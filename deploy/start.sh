#!/bin/sh
# The container's entry point: the call store's volume (/app/data) may be mounted owned
# by root, so it is handed to the voicebridge user first; the server itself never runs
# as root.
set -e
mkdir -p /app/data
chown -R voicebridge:voicebridge /app/data 2>/dev/null || true
exec setpriv --reuid=voicebridge --regid=voicebridge --clear-groups /app/voicebridge "$@"
