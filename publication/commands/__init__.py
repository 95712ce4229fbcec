"""Commands: what the command line and the Python API do, one module per command (build, check,
preflight, proof, diff, new), and the one place a build's files are written to dist/ (through
`core.dist.write_outputs`). Imports everything below it; the CLI and the preview import it.
"""
