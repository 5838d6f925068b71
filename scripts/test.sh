#!/usr/bin/env bash
# Runs every test of credwatch on a fresh machine: formatting, lints, the SAM template lint, unit
# tests, and end-to-end tests against the SFMC simulator and moto_server (a real AWS API
# emulator) over real HTTP. Installs what it needs (a Python venv in .venv); safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
work_dir="$(mktemp -d)"
moto_pid=""
cleanup() {
  if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; fi
  rm -rf "$work_dir"
}
trap cleanup EXIT

step() { printf '\n==> %s\n' "$*"; }

step "Python tools (.venv): moto_server, cfn-lint, checkov, aws-sam-translator"
"$root/scripts/venv.sh"
venv_bin="$root/.venv/bin"

step "toolchain components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "cargo fmt --check"
cargo fmt --all -- --check

# --all-targets also type-checks the benchmarks (run them with cargo bench, see README).
step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

# The API docs build without a warning (a broken or private link fails the run).
step "cargo doc --no-deps (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

if [ -f infra/template.yaml ]; then
  step "cfn-lint infra/template.yaml"
  "$venv_bin/cfn-lint" infra/template.yaml
fi

if [ -f infra/template.yaml ]; then
  # Fails on any finding, and on any skip without a comment saying why (checkov: skip: in the
  # resource's Metadata). --skip-download: no calls to Prisma Cloud.
  step "checkov infra/template.yaml"
  "$venv_bin/checkov" -f infra/template.yaml --framework cloudformation --skip-download \
    --compact -o json >"$work_dir/checkov.json" || true
  "$venv_bin/python" - "$work_dir/checkov.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
results = report.get("results", {})
failed = results.get("failed_checks", [])
unexplained = [s for s in results.get("skipped_checks", [])
               if not (s.get("check_result", {}).get("suppress_comment") or "").strip()]
for check in failed:
    print(f"FAILED {check['check_id']} {check['resource']}: {check['check_name']}")
for check in unexplained:
    print(f"SKIPPED WITHOUT A REASON {check['check_id']} {check['resource']}")
summary = report.get("summary", {})
print(f"checkov: {summary.get('passed', 0)} passed, {len(failed)} failed, "
      f"{summary.get('skipped', 0)} skipped with a reason in the template")
sys.exit(1 if failed or unexplained or summary.get("parsing_errors") else 0)
PY
fi

step "moto_server on a free port (serialised)"
port="$("$venv_bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# One request at a time, so conditional writes are atomic as in DynamoDB (see the script).
"$venv_bin/python" "$root/scripts/moto_server.py" 127.0.0.1 "$port" >"$work_dir/moto.log" 2>&1 &
moto_pid=$!
moto_ready() { "$venv_bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; }
for _ in $(seq 1 150); do
  if moto_ready; then break; fi
  if ! kill -0 "$moto_pid" 2>/dev/null; then cat "$work_dir/moto.log"; echo "moto_server died" >&2; exit 1; fi
  sleep 0.2
done
moto_ready || { cat "$work_dir/moto.log"; echo "moto_server did not start" >&2; exit 1; }
export CREDWATCH_TEST_AWS_ENDPOINT="http://127.0.0.1:$port"
echo "moto_server at $CREDWATCH_TEST_AWS_ENDPOINT"

# The deployment tests zip these as the functions' code and run them under the Lambda Runtime
# API stand-in, as Lambda would (tests/tests/deployment.rs, end_to_end.rs).
step "cargo build --release (the functions' and the CLI's binaries)"
cargo build --release --workspace --bins --locked

step "cargo test (build)"
cargo test --workspace --locked --no-run

# The run itself takes a few minutes; a bound turns a hang (a stuck emulator, a deadlock) into a
# failure that says what was running, instead of a CI job killed in silence.
step "cargo test (run, at most ${CREDWATCH_TEST_MINUTES:=30} minutes)"
set +e
timeout --kill-after=30s "${CREDWATCH_TEST_MINUTES}m" cargo test --workspace --locked 2>&1 | tee "$work_dir/test.log"
status=("${PIPESTATUS[@]}")
set -e
if [ "${status[0]}" = 124 ] || [ "${status[0]}" = 137 ]; then
  echo "cargo test did not finish within ${CREDWATCH_TEST_MINUTES} minutes; tests running that long:" >&2
  grep 'has been running for over' "$work_dir/test.log" >&2 || true
  echo "connections to moto_server (port $port):" >&2
  ss -tnp 2>/dev/null | grep ":$port" >&2 || true
  echo "moto_server's last requests:" >&2
  tail -n 20 "$work_dir/moto.log" >&2 || true
  exit 1
fi
[ "${status[0]}" = 0 ] || exit "${status[0]}"

# One closing line for the whole run (cargo prints one per test binary).
passed=$(grep -Eo '^test result: [a-zA-Z]+\. [0-9]+ passed' "$work_dir/test.log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '; [0-9]+ failed' "$work_dir/test.log" | awk '{s+=$2} END {print s+0}')
echo
echo "credwatch: ${passed} passed, ${failed} failed"
