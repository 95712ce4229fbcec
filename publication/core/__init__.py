"""The bottom layer: problems and their codes, units, files and confinement, the one writer to
dist/, reproducible PDF bytes, the one content-stream walker and the one rasteriser, the built-in
data's folders. Imports nothing from the rest of `publication`."""
