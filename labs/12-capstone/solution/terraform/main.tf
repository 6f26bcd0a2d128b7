# The capstone's cluster and its autoscaled node pool (the instructor's answer).
resource "ovh_cloud_project_kube" "capstone" {
  service_name = var.service_name
  name         = "capstone"
  region       = var.region
}

resource "ovh_cloud_project_kube_nodepool" "apps" {
  service_name  = var.service_name
  kube_id       = ovh_cloud_project_kube.capstone.id
  name          = "apps"
  flavor_name   = "b3-8"
  autoscale     = true
  min_nodes     = 1
  max_nodes     = 3
  desired_nodes = 1

  # The cluster autoscaler changes desired_nodes between min and max: leave that to it,
  # or every plan would try to set it back.
  lifecycle {
    ignore_changes = [desired_nodes]
  }
}
