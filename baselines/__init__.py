"""Baselines: most-popular items, SASRec and TIGER."""

from baselines import pop, sasrec, tiger

__all__ = ["pop", "sasrec", "tiger"]
