variable "service_name" {
  type = string
}

variable "region" {
  type = string
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
  type = string
}

variable "flavor_name" {
  type = string
}

variable "nodes" {
  type = number
}
