# The OVHcloud provider, from the registry (here: from the workshop's local mirror).
terraform {
  required_providers {
    ovh = {
      source = "ovh/ovh"
    }
  }
}

# No keys in this file: the provider reads OVH_ENDPOINT, OVH_APPLICATION_KEY,
# OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY from the environment. The workshop sets
# them to its emulated API; for the real one, export OVH_ENDPOINT=ovh-eu and your keys.
provider "ovh" {}
