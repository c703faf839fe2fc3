rt-mount_STATIC := yes
rt-mount_LIBS := -lboost_program_options -lboost_filesystem
