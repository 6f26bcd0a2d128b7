output "cluster_id" {
  value = ovh_cloud_project_kube.capstone.id
}

output "kubeconfig" {
  value     = ovh_cloud_project_kube.capstone.kubeconfig
  sensitive = true
}
