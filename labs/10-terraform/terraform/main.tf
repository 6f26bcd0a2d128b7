# The OVHcloud guide's cluster and node pool, packaged as a local module.
module "kube" {
  source = "./modules/cluster"

  service_name = var.service_name
  region       = var.region
  cluster_name = "my_kube_cluster"
  pool_name    = "my-pool" # "_" and "." are not allowed in a pool name
  flavor_name  = "b2-7"
  nodes        = var.nodes
}
