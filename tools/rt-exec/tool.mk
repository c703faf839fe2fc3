rt-exec_STATIC := yes
rt-exec_LIBS := -lseccomp -lboost_program_options
# runs inside the container (after pivot_root, or setns into its mount
# namespace): static in every MODE, see MODE=asan in the Makefile
rt-exec_IN_ROOT := yes
# short-lived (it execs the next link): maps its binary whole at start,
# common/prefault.cpp
rt-exec_PREFAULT := yes
