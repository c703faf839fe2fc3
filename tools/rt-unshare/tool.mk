rt-unshare_STATIC := yes
