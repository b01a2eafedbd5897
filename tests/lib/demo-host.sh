# Runs on the simulated host (under sriov-testbed): sriovd applies the policies, sriovctl shows the result.
# shellcheck shell=sh
set -eu
sriovd=$1
sriovctl=$2
policies=$3
log=$(mktemp)
trap 'rm -f "$log"' EXIT

printf '\033[1m==> sriovd: applying the policies\033[0m\n'
"$sriovd" --config-path="$policies" --config=/dev/null 2>"$log" &
pid=$!
i=0
until grep -q "ready:" "$log"; do
        i=$((i + 1))
        if [ "$i" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
                cat "$log"
                echo "sriovd did not get ready" >&2
                exit 1
        fi
        sleep 0.1
done
cat "$log"
echo

printf '\033[1m==> sriovctl plan: after sriovd, nothing is left to do\033[0m\n'
"$sriovctl" --config-path="$policies" plan
echo

printf '\033[1m==> stopping sriovd (SIGTERM: nothing is written on the way out)\033[0m\n'
kill -TERM "$pid"
wait "$pid"
tail -n 1 "$log"
