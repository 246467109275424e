"""The HTML report: one self-contained file (inline SVG figures, inline CSS) from results files."""
