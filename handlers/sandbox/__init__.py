"""The console's sandbox: an example ops config, and a forge with a CD that live in the process.

``opsbot shell`` with no ops.yaml loads :data:`handlers.sandbox.example.EXAMPLE_CONFIG`, and with no
GitHub or GitLab credentials deploys to :class:`handlers.sandbox.forge.SandboxForge`, whose CD
(:class:`handlers.sandbox.cd.SandboxCD`) reports each deploy's progress the way a forge's webhook
does. So everything can be tried on a laptop, offline, through the same core as production.

Only the console (``handlers.cli``'s shell) reaches it: import-linter keeps the composition root,
the web edges and the worker from importing it, so ``serve`` and ``worker`` can't deploy to a
sandbox by mistake.
"""
