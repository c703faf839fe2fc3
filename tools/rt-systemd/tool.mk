# Linked dynamically (Debian has no static libsystemd); only rt-oci
# --systemd-cgroup runs it, where systemd is the init.
rt-systemd_LIBS := -lsystemd -lboost_program_options
