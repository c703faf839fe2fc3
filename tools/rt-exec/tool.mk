rt-exec_STATIC := yes
rt-exec_LIBS := -lseccomp
