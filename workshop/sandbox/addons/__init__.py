"""The sandbox's add-ons: small controllers that make the simulated cluster feel real.

kwok simulates nodes and pod status; these controllers, each a watch loop and a
reconcile function against the Kubernetes API, do what a managed cluster's cloud side,
kubelets and apps would do:

- ``nodepools``: NodePool objects (kube.cloud.ovh.com) become Node objects;
- ``autoscaler``: pools with ``autoscale: true`` grow for pending pods and shrink when idle;
  its status and events go where upstream's go (``autoscalerstatus``);
- ``pulls``: images pull (or fail: ErrImagePull, ImagePullBackOff), containers start,
  crash (CrashLoopBackOff) or get OOMKilled, as the kubelet would report;
- ``apps``: started pods answer on their ports, write logs, keep their data on volumes;
- ``loadbalancers``: LoadBalancer Services get an address and a port on this machine;
- ``storage``: claims get PersistentVolumes (folders under the workshop home).

They run together in one process, ``python -m workshop.sandbox.addons <home>``, started and
restarted by the sandbox's supervisor (``workshop sandbox logs addons``). ``loop.py`` is the
pattern they share. This package's ``__init__`` imports nothing heavy: the sandbox reads
``annotations`` from it without loading the Kubernetes client.
"""
