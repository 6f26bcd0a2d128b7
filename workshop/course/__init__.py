"""Labs, checks, hints and progress (the workshop runner; see the project's issues).

Talks to clusters only through a kubeconfig: it may never import ``workshop.sandbox``.
"""
