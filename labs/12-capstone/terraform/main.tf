# The capstone's cluster. Its node pool is yours to write: see the lab's first step.
resource "ovh_cloud_project_kube" "capstone" {
  service_name = var.service_name
  name         = "capstone"
  region       = var.region
}
