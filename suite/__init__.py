"""A declarative benchmark suite for generative recommenders."""

__version__ = "0.1.0"
