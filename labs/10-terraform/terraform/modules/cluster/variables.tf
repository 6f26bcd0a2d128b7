variable "service_name" {
  description = "The Public Cloud project's id."
  type        = string
}

variable "region" {
  description = "Where the cluster runs, e.g. GRA11."
  type        = string
}

variable "cluster_name" {
  type = string
}

variable "kube_version" {
  description = "major.minor; null takes the newest the service offers."
  type        = string
  default     = null
}

variable "pool_name" {
  description = "The node pool's name (\"_\" and \".\" are not allowed in it)."
  type        = string
}

variable "flavor_name" {
  description = "The nodes' flavor (their size), e.g. b3-8."
  type        = string
}

variable "nodes" {
  description = "How many nodes the pool keeps (its desired, minimum and maximum)."
  type        = number
}
