# From ovh/terraform-provider-ovh at a1ae5bcee34b (2026-08-21, after v2.19.0):
# docs/resources/cloud_project_kube_nodepool.md, "Timeouts" (examples/resources/cloud_project_kube_nodepool/example_3.tf).
# The doc's "# ..." stands for the pool's arguments: here those of example 1, and its label
# ("node_pool", where the fragment says "pool"), so that adding the block changes that pool.
resource "ovh_cloud_project_kube_nodepool" "node_pool" {
  service_name  = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
  kube_id       = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
  name          = "my-pool-1" //Warning: "_" char is not allowed!
  flavor_name   = "b3-8"
  desired_nodes = 3

  timeouts {
    create = "1h"
    update = "45m"
    delete = "50s"
  }
}
