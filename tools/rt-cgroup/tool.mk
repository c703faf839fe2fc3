rt-cgroup_STATIC := yes
rt-cgroup_LIBS := -lboost_program_options -lboost_filesystem
