"""The report page: report.json drawn as one self-contained HTML page, and two reports side by side.

Modules: render (the page from a report document, Jinja templates in ``templates/``), view (what
one claim section shows), values (nested values as display trees: labelled tables, never a
Python repr), tables (small tables with a header row), runs (every run once, by label), regime
(the regime section), numbers (the text of values around their numbers) and comparison (report
A beside report B). Plots come from :mod:`rlsparse_check.report.plots`.
"""
