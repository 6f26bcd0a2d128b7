output "cluster_id" {
  value = ovh_cloud_project_kube.cluster.id
}

output "nodepool_id" {
  value = ovh_cloud_project_kube_nodepool.pool.id
}

output "kubeconfig" {
  value     = ovh_cloud_project_kube.cluster.kubeconfig
  sensitive = true
}
