"""The discrete-diffusion methods (LLaDA-Rec, MADRec, GREED) and their shared core.

The method registry (`suite.registry.methods`) imports each method's module on its first lookup.
"""
