"""Work that crosses the queue: the envelope and its kinds, intake at the edge, the table from kind to
handler (dispatch), backoff, the worker loop. Payload types live with their features; kinds, ports and
backoff are shared vocabulary at the bottom, which features may import to make a job; dispatch and
worker are the top of the core, see every feature, and import no client or store.
"""
