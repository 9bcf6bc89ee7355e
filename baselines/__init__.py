"""Baselines: most-popular items, SASRec and TIGER.

The method registry (`suite.registry.methods`) imports each baseline's module on its first lookup.
"""
