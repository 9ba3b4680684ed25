"""Redis adapters implementing the core's store ports (each port's Protocol lives in its feature's ports module).

The one place redis is imported; they may import the core's values and ports, never a client or the edges.
"""
