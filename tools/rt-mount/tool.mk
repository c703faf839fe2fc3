rt-mount_STATIC := yes
rt-mount_LIBS := -lboost_program_options -lboost_filesystem
# short-lived (it execs the next link): maps its binary whole at start,
# common/prefault.cpp
rt-mount_PREFAULT := yes
