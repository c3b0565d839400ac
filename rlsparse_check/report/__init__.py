"""The claims run's report: result collection, report.json, report.html, comparisons.

Modules: collect (results -> report document), provenance, files (atomic writes), baseline (the
one comparison of two runs: drift checks), compare (two reports side by side); the page: render +
templates/ (HTML), view (a claim's headline, thresholds, evidence), numbers and values (numbers
and nested values for reading), runs (every run once, by label), regime (the regime section);
the plots: plotstyle (one look, compact SVG with alt text), plots and lead_plots (the kinds),
gallery (a claim's figures across its cases), figures (plot data builders for claim tests).
The pytest side (options, the controller session) lives in :mod:`rlsparse_check.plugin`.
"""
