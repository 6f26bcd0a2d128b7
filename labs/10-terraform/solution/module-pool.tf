# The cluster's node pool (lab 10, step 2), from the provider's documentation of
# ovh_cloud_project_kube_nodepool. Fixed bounds: the pool keeps exactly `nodes` nodes.
resource "ovh_cloud_project_kube_nodepool" "pool" {
  service_name  = var.service_name
  kube_id       = ovh_cloud_project_kube.cluster.id
  name          = var.pool_name
  flavor_name   = var.flavor_name
  desired_nodes = var.nodes
  max_nodes     = var.nodes
  min_nodes     = var.nodes
}
