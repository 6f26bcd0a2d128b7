# From ovh/terraform-provider-ovh at a1ae5bcee34b (2026-08-21, after v2.19.0):
# docs/data-sources/cloud_project_kube_iprestrictions.md (examples/data-sources/cloud_project_kube_iprestrictions/example_1.tf)
data "ovh_cloud_project_kube_iprestrictions" "ip_restrictions" {
  service_name = "XXXXXX"
  kube_id      = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxx"
}

output "ips" {
  value = data.ovh_cloud_project_kube_iprestrictions.ip_restrictions.ips
}
