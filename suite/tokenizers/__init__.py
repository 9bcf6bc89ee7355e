"""Item tokenizers: item vectors -> semantic-ID codes, one registered class a module.

The registry (`suite.registry.tokenizers`) imports the built-in modules on its first lookup.
"""
