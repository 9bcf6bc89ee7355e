"""The discrete-diffusion core shared by LLaDA-Rec, MADRec and GREED."""
