"""The Ops agent: Claude with opsbot's tools, memory and todos."""
