# A module names its own providers: without this, "ovh" would mean hashicorp/ovh.
terraform {
  required_providers {
    ovh = {
      source = "ovh/ovh"
    }
  }
}
