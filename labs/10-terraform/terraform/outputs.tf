output "cluster_id" {
  value = module.kube.cluster_id
}

output "kubeconfig" {
  value     = module.kube.kubeconfig
  sensitive = true
}
