rt-cgroup_STATIC := yes
rt-cgroup_LIBS := -lboost_program_options -lboost_filesystem
# short-lived in rt-run's chain (--no-wait: it execs rt-unshare in place):
# maps its binary whole at start, common/prefault.cpp (a waiting rt-cgroup
# keeps those pages mapped while the container runs)
rt-cgroup_PREFAULT := yes
