"""Statistical checks: freshness, volume and metric history, distribution shift against baselines.

They read what lies beyond the batch (earlier batches' metrics and profiles, the stored baseline,
the time) from the :class:`integrity.types.ValidationContext` in ``Spec.context``; without one they
report ``not_evaluated`` with the reason. Profiles (``profile.py``) are mergeable JSON summaries:
counts, fixed-bin histograms, quantile sketches, top-k values and tokens, never raw rows.
"""
