"""The library's generation steps: prompts, pipelines, generation, style inversion and its quality check."""
