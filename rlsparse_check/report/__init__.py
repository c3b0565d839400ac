"""The claims run's report, in three layers (each imports only the ones below it).

* here: collect (recorded results -> the report.json document), summary (a claim's key figure
  over its cases in one line, for the terminal and the page), provenance (what produced the
  numbers), baseline (stored reports read back) and compare (the one comparison of two reports:
  changes per claim, drift from a baseline);
* :mod:`.page`: the HTML page and the side-by-side comparison page (render, templates, view,
  values, tables, runs, regime, numbers, comparison);
* :mod:`.plots`: the figures (style, lead plots, evidence plots, gallery); plots never read the
  page.

Numbers read the same everywhere through :mod:`rlsparse_check.numbers`. The pytest side (options,
the controller session) lives in :mod:`rlsparse_check.plugin`, which uses this package and is
never used by it.
"""
