"""The chat grammar: typed commands, the registry of their words, and the runner that hands each to its feature.

types and registry sit below the features (which may import them); runner sits above them and is the only
module here that imports features. No client, store or job code.
"""
