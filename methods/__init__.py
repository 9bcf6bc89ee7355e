"""The discrete-diffusion methods (LLaDA-Rec, MADRec, GREED) and their shared core."""
