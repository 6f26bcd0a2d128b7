# From ovh/terraform-provider-ovh at a1ae5bcee34b (2026-08-21, after v2.19.0):
# docs/data-sources/cloud_project_kube.md (examples/data-sources/cloud_project_kube/example_1.tf)
data "ovh_cloud_project_kube" "my_kube_cluster" {
  service_name = "XXXXXX"
  kube_id      = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxx"
}

output "version" {
  value = data.ovh_cloud_project_kube.my_kube_cluster.version
}

output "kubeconfig" {
  value = data.ovh_cloud_project_kube.my_kube_cluster.kubeconfig
  sensitive = true
}

output "kube_host" {
  value = data.ovh_cloud_project_kube.my_kube_cluster.kubeconfig_attributes[0].host
}
