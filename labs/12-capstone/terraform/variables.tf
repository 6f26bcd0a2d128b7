variable "service_name" {
  description = "The Public Cloud project's id (the workshop writes it in workshop.auto.tfvars)."
  type        = string
}

variable "region" {
  description = "Where the cluster runs."
  type        = string
  default     = "GRA11"
}
