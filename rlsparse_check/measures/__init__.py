"""What each claim measures, above the ground floor (checkpoints, diff, masks, overlap, stats).

Pure functions returning plain records, one module per measurement: learning (eval gains and
whether a run learned), frontier (C2's sparsity at matched gain, C6's headroom above the
sparsity floor), overlap (pairs of runs, C3 and C5), variants (C5), recovery (C4), rank (C7),
spread (C8), precision and mechanism (C9), regime (where the runs sit against the paper's
setting).
"""
