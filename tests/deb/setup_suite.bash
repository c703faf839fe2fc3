# make deb-check's suite: the same checks after it as the main suite's
# (no cgroup, link, process or mount of rt's left).
source "$(dirname "${BASH_SOURCE[0]}")/../bats/setup_suite.bash"
