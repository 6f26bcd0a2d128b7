# A Managed Kubernetes cluster with one node pool: the two resources of the OVHcloud guide
# "Creating a cluster through Terraform". The cluster is here; its node pool is yours to
# write (step 2), in this folder: Terraform reads every .tf file of a module.
resource "ovh_cloud_project_kube" "cluster" {
  service_name = var.service_name
  name         = var.cluster_name
  region       = var.region
  version      = var.kube_version
}
