#!/usr/bin/env bash
# Builds every function of infra/template.yaml for Lambda (arm64, provided.al2023) with `sam build`
# and prints the size of each function's deployment zip, zipped the way `sam deploy` uploads it.
# Installs what it needs, by package name from PyPI, into its own venv (.venv-package):
#   aws-sam-cli   `sam build` (its rust-cargolambda build method is a beta feature)
#   cargo-lambda  cross-compiles for aarch64-unknown-linux-gnu; brings its own zig as the linker
# Slow (release builds with LTO, one per function): not part of scripts/test.sh. Safe to rerun.
# Then deploy: sam deploy --guided (README, "Deploying to AWS").
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

step() { printf '\n==> %s\n' "$*"; }

step "Python tools (.venv-package): aws-sam-cli, cargo-lambda"
requirements='aws-sam-cli>=1.120,<2
cargo-lambda>=1.4,<2'
venv="$root/.venv-package"
stamp="$venv/.credwatch-requirements"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$requirements" ]; then
  echo "up to date"
else
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  printf '%s\n' "$requirements" >"$venv/requirements.txt"
  "$venv/bin/python" -m pip install --quiet -r "$venv/requirements.txt"
  printf '%s' "$requirements" >"$stamp"
fi
# `sam build` runs `cargo lambda`: the venv's cargo-lambda (and its zig) first on PATH.
export PATH="$venv/bin:$PATH"
echo "$(sam --version), $(cargo-lambda lambda --version)"

step "rust target aarch64-unknown-linux-gnu"
rustup target add aarch64-unknown-linux-gnu

step "sam build (arm64, release)"
# --beta-features: SAM still labels its rust-cargolambda build method beta and refuses it otherwise.
# Cargo builds in this workspace (rust-cargolambda builds in source), into target/ or
# $CARGO_TARGET_DIR, so a rerun rebuilds only what changed.
SAM_CLI_TELEMETRY=0 sam build --template-file infra/template.yaml --build-dir .aws-sam/build \
  --beta-features

step "deployment zips (as sam deploy uploads them)"
# SAM's own zip function for Lambda code (samcli.lib.package.utils), so the sizes are the uploaded ones.
"$venv/bin/python" - .aws-sam/build <<'PY'
import os, shutil, sys, tempfile
import yaml
from samcli.lib.package.utils import make_zip_with_lambda_permissions as make_zip

build_dir = sys.argv[1]
with open(os.path.join(build_dir, "template.yaml")) as f:
    # Only the resource types and names matter here; tags such as !Ref load as plain values.
    class Loader(yaml.SafeLoader):
        pass
    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load(f, Loader=Loader)
functions = sorted(name for name, res in template["Resources"].items()
                   if res.get("Type") == "AWS::Serverless::Function")
out = tempfile.mkdtemp()
total = 0
print(f"{'function':<28} {'bootstrap':>12} {'zip':>12}")
for name in functions:
    src = os.path.join(build_dir, name)
    binary = os.path.getsize(os.path.join(src, "bootstrap"))
    zipped = make_zip(os.path.join(out, name), src)
    size = os.path.getsize(zipped)
    total += size
    print(f"{name:<28} {binary:>12,} {size:>12,}")
print(f"{'total':<28} {'':>12} {total:>12,}  bytes")
shutil.rmtree(out)
PY
