"""Datasets: readers for raw files, leave-one-out preparation and its cache."""
