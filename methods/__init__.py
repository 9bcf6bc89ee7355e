"""The discrete-diffusion methods (LLaDA-Rec, MADRec, GREED) and their shared core."""

from methods import greed, llada_rec, madrec

__all__ = ["greed", "llada_rec", "madrec"]
