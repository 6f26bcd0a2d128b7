# From ovh/terraform-provider-ovh at a1ae5bcee34b (2026-08-21, after v2.19.0):
# docs/data-sources/cloud_project_kube_oidc.md (examples/data-sources/cloud_project_kube_oidc/example_1.tf)
data "ovh_cloud_project_kube_oidc" "oidc" {
  service_name = "XXXXXX"
  kube_id      = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxx"
}

output "oidc-val" {
  value = data.ovh_cloud_project_kube_oidc.oidc.client_id
}
