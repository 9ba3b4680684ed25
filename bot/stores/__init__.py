"""Redis implementations of the core's storage ports."""
