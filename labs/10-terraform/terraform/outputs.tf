output "cluster_id" {
  value = module.kube.cluster_id
}

output "nodepool_id" {
  value = module.kube.nodepool_id
}

output "kubeconfig" {
  value     = module.kube.kubeconfig
  sensitive = true
}
