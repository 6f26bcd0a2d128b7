# The OVHcloud provider, from the registry (here: from the workshop's local mirror).
terraform {
  required_providers {
    ovh = {
      source = "ovh/ovh"
    }
  }
}

# No keys in this file: the provider reads OVH_ENDPOINT, OVH_APPLICATION_KEY,
# OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY from the environment (on the emulator, the
# ovh.conf the workshop writes beside this file).
provider "ovh" {}
