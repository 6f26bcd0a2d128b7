# The provider requirement every example assumes (OVHcloud's add-ip-restrictions guide,
# provider.tf): the endpoint and keys come from OVH_* variables, as that guide advises.
terraform {
  required_providers {
    ovh = {
      source = "ovh/ovh"
    }
  }
}
