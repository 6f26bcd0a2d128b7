# Not from the docs: what resource-oidc-1.tf names and leaves to the reader, a project
# variable and the cluster (the test imports the existing one into this address).
variable "projectid" {}

resource "ovh_cloud_project_kube" "mykube" {
  service_name = var.projectid
  name         = "docs-shared"
  region       = "GRA11"
}
