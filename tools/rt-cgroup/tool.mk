rt-cgroup_STATIC := yes
