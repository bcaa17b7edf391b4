"""Invented demo data: the small demo for trying Panel out, and region/nation scale data for benchmarks."""
