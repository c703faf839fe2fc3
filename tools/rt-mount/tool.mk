rt-mount_STATIC := yes
