# From ovh/terraform-provider-ovh at a1ae5bcee34b (2026-08-21, after v2.19.0):
# docs/resources/cloud_project_kube_iprestrictions.md, example 1 (examples/resources/cloud_project_kube_iprestrictions/example_1.tf)
resource "ovh_cloud_project_kube_iprestrictions" "vrack_only" {
  service_name = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
  kube_id      = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxx"
  ips          = ["10.42.0.0/16"]
}
