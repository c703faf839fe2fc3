rt-run_STATIC := yes
rt-run_LIBS := -lboost_program_options -lboost_filesystem
# Its own entry point (static x86-64 links): the binary's pages mapped
# before glibc's start-up, given back while it waits as the supervisor
# (populate.cpp). Not rt-NAME_PREFAULT: rt-run stays.
rt-run_ENTRY := rt_run_start
