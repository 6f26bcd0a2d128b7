# A Managed Kubernetes cluster with one node pool: the two resources of the OVHcloud guide
# "Creating a cluster through Terraform".
resource "ovh_cloud_project_kube" "cluster" {
  service_name = var.service_name
  name         = var.cluster_name
  region       = var.region
  version      = var.kube_version
}

resource "ovh_cloud_project_kube_nodepool" "pool" {
  service_name  = var.service_name
  kube_id       = ovh_cloud_project_kube.cluster.id
  name          = var.pool_name
  flavor_name   = var.flavor_name
  desired_nodes = var.nodes
  max_nodes     = var.nodes
  min_nodes     = var.nodes
}
