"""Baselines: most-popular items and SASRec (TIGER follows)."""

from baselines import pop, sasrec

__all__ = ["pop", "sasrec"]
