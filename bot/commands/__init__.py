"""The chat grammar: typed commands and the one registry every entry point uses."""
