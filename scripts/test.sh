#!/usr/bin/env bash
# Runs every test of credwatch on a fresh machine: formatting, lints, unit tests, end-to-end tests
# against the SFMC simulator over real HTTP. Installs what it needs; safe to rerun (incremental).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
log_dir="$(mktemp -d)"
trap 'rm -rf "$log_dir"' EXIT

step() { printf '\n==> %s\n' "$*"; }

step "toolchain components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "benchmarks build (run them with cargo bench, see README)"
cargo bench --workspace --no-run --locked

step "cargo test"
cargo test --workspace --locked 2>&1 | tee "$log_dir/test.log"

# One closing line for the whole run (cargo prints one per test binary).
passed=$(grep -Eo '^test result: [a-zA-Z]+\. [0-9]+ passed' "$log_dir/test.log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '; [0-9]+ failed' "$log_dir/test.log" | awk '{s+=$2} END {print s+0}')
echo
echo "credwatch: ${passed} passed, ${failed} failed"
