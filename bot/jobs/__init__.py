"""Work that crosses the queue: typed job kinds, intake at the edge, dispatch to the features, backoff, the worker loop.

kinds, ports and backoff are shared vocabulary at the bottom; dispatch and worker are the top of the core and
may import anything in it, but no client or store.
"""
