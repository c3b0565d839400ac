"""The claims run's report: options, result collection, report.json, report.html, drift checks.

Modules: options (pytest options and pyproject defaults), collect (results -> report document),
session (the controller-side pytest hooks), provenance, baseline (drift), files (atomic writes),
render + templates/report.html.j2 (HTML), plots (inline SVG), figures (plot data builders).
"""
