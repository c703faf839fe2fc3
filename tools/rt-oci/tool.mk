rt-oci_STATIC := yes
rt-oci_LIBS := -lboost_filesystem
