"""ipywidgets that drive a cluster through its kubeconfig (see the project's issues).

Like ``workshop.course``, it may never import ``workshop.sandbox``.
"""
