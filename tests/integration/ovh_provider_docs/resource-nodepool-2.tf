# From ovh/terraform-provider-ovh at a1ae5bcee34b (2026-08-21, after v2.19.0):
# docs/resources/cloud_project_kube_nodepool.md, example 3 "advanced node pool"
# (examples/resources/cloud_project_kube_nodepool/example_2.tf)
resource "ovh_cloud_project_kube_nodepool" "pool" {
  service_name  = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
  kube_id       = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
  name          = "my-pool"
  flavor_name   = "b3-8"
  desired_nodes = 3
  template {
    metadata {
      annotations = {
        k1 = "v1"
        k2 = "v2"
      }
      finalizers = []
      labels = {
        k3 = "v3"
        k4 = "v4"
      }
    }
    spec {
      unschedulable = false
      taints = [
        {
          effect = "PreferNoSchedule"
          key    = "k"
          value  = "v"
        }
      ]
    }
  }
}
