rt-oci_STATIC := yes
