"""The ``ovh/ovh`` Terraform provider's Managed Kubernetes resources, written in Python.

Public module: ``SOURCE``, ``VERSION`` and ``main()`` (the plugin's entry point,
``python -m workshop.ovhprovider``). OpenTofu starts it like any provider: the workshop
installs a small ``terraform-provider-ovh`` launcher into a local filesystem mirror
(``workshop.tools.terraform.install_provider``).

Why it exists: the real provider is a Go module, ``github.com/ovh/terraform-provider-ovh/v2``,
and the Go module proxy these machines reach answers every version of it with
``403 Forbidden: This module version is not available``. The real provider itself would
reach the emulator unchanged: go-ovh takes any endpoint containing ``/`` as a URL
(``OVH_ENDPOINT=http://127.0.0.1:PORT/1.0``). This one follows it where a learner can
see it: the same provider arguments and ``OVH_*`` variables, the same resources and data
sources of the Managed Kubernetes section (clusters with their customization blocks, node
pools with templates, IP restrictions, OIDC), the same attribute names, required /
optional / computed split and replacements, the same API calls and messages, the same
import IDs. What it does otherwise it says in ``workshop/ovhprovider/README.md``.
"""

from __future__ import annotations

SOURCE = "ovh/ovh"
"""The provider's address in HCL (``required_providers { ovh = { source = ... } }``)."""
VERSION = "2.19.0"
"""The release whose schemas these resources follow."""


def main() -> None:
    """Serve the provider over the plugin protocol (OpenTofu starts this)."""
    from tf import provider as framework
    from tf.runner import run_provider

    from workshop.ovhprovider.provider import OvhProvider
    from workshop.ovhprovider.servicer import Servicer

    # run_provider builds its servicer from this name when it is called: ours plans and
    # encodes as the real provider's SDK does (see workshop/ovhprovider/servicer.py)
    framework.ProviderServicer = Servicer
    _end_with_parent()
    run_provider(OvhProvider())


def _end_with_parent() -> None:
    """Ask Linux for SIGTERM when OpenTofu goes, however it goes: a tofu killed mid-apply
    (Ctrl-C twice, a timeout) must not leave this process behind (60 MiB, a Binder's)."""
    import contextlib
    import ctypes
    import os
    import signal

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent went before the call above
            os.kill(os.getpid(), signal.SIGTERM)
