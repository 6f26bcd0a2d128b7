variable "service_name" {
  description = "The Public Cloud project's id (the workshop passes it as TF_VAR_service_name)."
  type        = string
}

variable "region" {
  description = "Where the cluster runs."
  type        = string
  default     = "GRA11"
}

variable "nodes" {
  description = "How many nodes the pool keeps."
  type        = number
  default     = 3
}
