#!/usr/bin/env bash
# Set up a fresh machine and build the sample brochure into dist/.
# Installs the system packages (as root, or with sudo), the Python package and its test
# dependencies, then runs `publication build`.
set -euo pipefail
cd "$(dirname "$0")"

# WeasyPrint's text layout and font subsetting; poppler, Ghostscript and qpdf check PDFs
# from outside; Chromium runs the live preview's browser tests.
APT_PACKAGES=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
  poppler-utils ghostscript qpdf
  chromium
)

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if ((${#missing[@]})); then
    sudo_cmd=""
    [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    echo "Installing system packages: ${missing[*]}"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -e '.[test]'
# VS Code's YAML engine, for the test that a new publication.yml validates in the editor.
# Node.js is not installed here (Debian's npm conflicts with NodeSource's nodejs); without it
# tests/test_editor.py is skipped.
if command -v npm >/dev/null 2>&1; then
  npm install --silent --no-audit --no-fund --prefix .cache/tools yaml-language-server@1 >/dev/null \
    || echo "yaml-language-server not installed; tests/test_editor.py will be skipped"
fi
publication build
