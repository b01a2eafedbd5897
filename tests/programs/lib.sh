# Helpers for the shell tests that run sriovd's programs: temp dirs, expectations with clear failures.
# shellcheck shell=bash
set -uo pipefail

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sriovd-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
        printf 'FAIL: %s\n' "$*" >&2
        failures=$((failures + 1))
}

# run EXPECTED_STATUS CMD...: runs CMD, keeps stdout in $out and stderr in $err.
run() {
        local expected=$1
        shift
        out=$("$@" 2>"$tmp/stderr")
        status=$?
        err=$(cat "$tmp/stderr")
        if [ "$status" -ne "$expected" ]; then
                fail "$* exited $status, expected $expected"
                printf '%s\n' "--- stdout:" "$out" "--- stderr:" "$err" >&2
        fi
}

# expect_line TEXT: the last command printed exactly this line.
expect_line() {
        grep -qxF -- "$1" <<<"$out" || { fail "no line: $1"; printf '%s\n' "--- got:" "$out" >&2; }
}

expect_in() {
        grep -qF -- "$1" <<<"$out$err" || { fail "output does not contain: $1"; printf '%s\n' "--- got:" "$out" "$err" >&2; }
}

expect_not_in() {
        ! grep -qF -- "$1" <<<"$out$err" || fail "output contains: $1"
}

# json EXPRESSION: a python expression over the JSON output `j` that must be true.
expect_json() {
        /usr/bin/python3 -c "import json,sys; j=json.loads(sys.stdin.read()); sys.exit(0 if ($1) else 1)" <<<"$out" ||
                { fail "JSON does not satisfy: $1"; printf '%s\n' "--- got:" "$out" >&2; }
}

write() {
        mkdir -p "$(dirname "$1")"
        cat >"$1"
}

finish() {
        if [ "$failures" -gt 0 ]; then
                echo "$failures expectation(s) failed" >&2
                exit 1
        fi
        exit 0
}
