"""Container images without a daemon: Dockerfiles, OCI image layouts, the workshop's base.

``builder.build(context, tag, output=...)`` turns a Dockerfile into an OCI image layout;
``oci.read(layout)`` reads one back (manifest, config, layers) and ``oci.verify`` checks
its digests; ``engine.find()`` says whether a Docker or Podman engine is there to use
instead. Pure files and subprocesses: no cluster, no sandbox.
"""
