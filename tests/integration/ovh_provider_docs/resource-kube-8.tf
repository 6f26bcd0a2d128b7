# From ovh/terraform-provider-ovh at a1ae5bcee34b (2026-08-21, after v2.19.0):
# docs/resources/cloud_project_kube.md, "Timeouts" (examples/resources/cloud_project_kube/example_8.tf).
# The doc's "# ..." stands for the resource's arguments: here those of example 5, and its
# label ("my_cluster", where the fragment says "my_kube_cluster").
resource "ovh_cloud_project_kube" "my_cluster" {
  service_name  = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
  name          = "my_kube_cluster"
  region        = "GRA11"
  customization_apiserver {
      admissionplugins {
        enabled = ["NodeRestriction"]
        disabled = ["AlwaysPullImages"]
      }
  }

  timeouts {
    create = "1h"
    update = "45m"
    delete = "50s"
  }
}
