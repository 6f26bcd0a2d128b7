# The OVHcloud guide's cluster and node pool, packaged as a local module. The guide's
# example (2022) takes b2-7 nodes in GRA7; the workshop keeps one story across labs 08 to
# 12: b3-8 nodes in GRA11, a region that offers the b3 flavors (OVHcloud's guide
# "Available datacenters, worker nodes and persistent storage flavors", 2026-02-03).
module "kube" {
  source = "./modules/cluster"

  service_name = var.service_name
  region       = var.region
  cluster_name = "my_kube_cluster"
  pool_name    = "my-pool" # "_" and "." are not allowed in a pool name
  flavor_name  = "b3-8"
  nodes        = var.nodes
}
