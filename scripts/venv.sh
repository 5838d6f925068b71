#!/usr/bin/env bash
# Creates .venv with the Python tools the tests use, by package name from PyPI:
#   moto[server]  the AWS API emulator (DynamoDB, Secrets Manager, SNS, ...)
#   cfn-lint<1.54 the CloudFormation linter; 1.54+ no longer runs the SAM translator
#   checkov       the IaC security scanner run on the SAM template (every finding fixed or
#                 explained in the template)
#   aws-sam-translator  the SAM -> CloudFormation translator (also a cfn-lint dependency): the
#                 deployment tests create the translated template as a stack on moto
# Re-running is cheap: it installs only when the requirements changed.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements='moto[server]>=5,<6
cfn-lint>=1.20,<1.54
checkov>=3.2,<4
aws-sam-translator>=1.90,<2'
stamp=".venv/.credwatch-requirements"
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$requirements" ]; then
  echo "up to date: $(.venv/bin/python -m pip --version | cut -d' ' -f1-2), moto_server, cfn-lint, checkov"
  exit 0
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
printf '%s\n' "$requirements" > .venv/requirements.txt
.venv/bin/python -m pip install --quiet -r .venv/requirements.txt
printf '%s' "$requirements" > "$stamp"
echo "installed: $(.venv/bin/pip freeze | grep -Ei '^(moto|cfn-lint|checkov|aws-sam-translator)==' | tr '\n' ' ')"
