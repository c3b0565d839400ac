"""The claims run's report: result collection, report.json, report.html, drift checks.

Modules: collect (results -> report document), provenance, baseline (drift), files (atomic
writes), render + templates/report.html.j2 (HTML), plots (inline SVG), figures (plot data
builders). The pytest side (options, the controller session) lives in :mod:`rlsparse_check.plugin`.
"""
