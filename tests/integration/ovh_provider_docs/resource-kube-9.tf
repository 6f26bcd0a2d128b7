# From ovh/terraform-provider-ovh at a1ae5bcee34b (2026-08-21, after v2.19.0):
# examples/resources/cloud_project_kube/example_9.tf (in the examples, not shown on
# docs/resources/cloud_project_kube.md, whose multi-zone example also creates the network).
# Its pools use var.service_name, declared here.
variable "service_name" {}

resource "ovh_cloud_project_kube" "my_multizone_cluster" {
  service_name       = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
  name               = "terraform-multi-zone-cluster"
  region             = "EU-WEST-PAR"
  plan               = "standard"

  private_network_id = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
  nodes_subnet_id    = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" //Subnet must has a OVHcloud Gateway/OpenStack router
}

resource "ovh_cloud_project_kube_nodepool" "node_pool_multi_zones_a" {
  service_name       = var.service_name
  kube_id            = ovh_cloud_project_kube.my_multizone_cluster.id
  name               = "my-pool-zone-a" //Warning: "_" char is not allowed!
  flavor_name        = "b3-8"
  desired_nodes      = 3
  availability_zones = ["eu-west-par-a"] //Currently, only one zone is supported
}

resource "ovh_cloud_project_kube_nodepool" "node_pool_multi_zones_b" {
  service_name       = var.service_name
  kube_id            = ovh_cloud_project_kube.my_multizone_cluster.id
  name               = "my-pool-zone-b"
  flavor_name        = "b3-8"
  desired_nodes      = 3
  availability_zones = ["eu-west-par-b"]
}

resource "ovh_cloud_project_kube_nodepool" "node_pool_multi_zones_c" {
  service_name       = var.service_name
  kube_id            = ovh_cloud_project_kube.my_multizone_cluster.id
  name               = "my-pool-zone-c"
  flavor_name        = "b3-8"
  desired_nodes      = 3
  availability_zones = ["eu-west-par-c"]
}
