#!/usr/bin/env bash
# Set up a fresh Debian or Ubuntu machine for working on publication, and build the sample
# brochure into dist/. Installs the system packages (as root, or with sudo), makes a virtual
# environment in .venv with the package (editable) and its test dependencies, installs the
# editor test's language server into .cache/tools, then runs `.venv/bin/publication build`.
# Run the tests with: .venv/bin/python -m pytest
set -euo pipefail
cd "$(dirname "$0")"

# Python and its venv module (Debian and Ubuntu refuse `pip install` outside a virtual
# environment, and leave venv out of python3); git, which the tests and proofs read;
# WeasyPrint's text layout and font subsetting; poppler, Ghostscript, qpdf and MuPDF (mutool)
# check PDFs from outside and pandoc reads documents, as oracles for the tests; Chromium runs
# the live preview's browser tests.
APT_PACKAGES=(
  python3 python3-venv git
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
  poppler-utils ghostscript qpdf mupdf-tools pandoc
  chromium
)
# Node.js runs yaml-language-server (VS Code's YAML engine) for tests/test_editor.py. Only what
# is missing: Debian's npm conflicts with a nodejs from NodeSource, which brings its own npm.
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(npm)

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

# The system's own Python (Debian's /usr/bin/python3 where there is one, not whichever python3
# comes first on PATH), in a virtual environment of the project's own.
if [[ -x /usr/bin/python3 ]]; then
  python=/usr/bin/python3
else
  python=$(command -v python3) || { echo "setup.sh: no python3 found; install Python 3.11 or later" >&2; exit 1; }
fi
if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  echo "Creating the virtual environment .venv with $python ($("$python" --version))"
  "$python" -m venv --clear .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'

# Node tools the tests use as real clients, in .cache/tools: VS Code's YAML engine (a new
# publication.yml validates in the editor), Mozilla's pdf.js with its annotation editor (a
# reviewer's comments on a proof) and Deque's axe-core (the web edition's WCAG 2.1 AA check).
# A failure stops the setup: CI must run those tests, not skip them.
NODE_TOOLS=(yaml-language-server@1 pdfjs-dist@5.6.205 axe-core@4)
if [[ ! -x .cache/tools/node_modules/.bin/yaml-language-server || ! -f .cache/tools/node_modules/pdfjs-dist/build/pdf.mjs
      || ! -f .cache/tools/node_modules/axe-core/axe.min.js ]]; then
  echo "Installing ${NODE_TOOLS[*]} into .cache/tools"
  npm install --loglevel=error --no-audit --no-fund --prefix .cache/tools "${NODE_TOOLS[@]}" >/dev/null
fi
[[ -x .cache/tools/node_modules/.bin/yaml-language-server && -f .cache/tools/node_modules/pdfjs-dist/build/pdf.mjs
   && -f .cache/tools/node_modules/axe-core/axe.min.js ]] || {
  echo "setup.sh: yaml-language-server, pdfjs-dist or axe-core is not in .cache/tools after npm install" >&2
  exit 1
}

.venv/bin/publication build
