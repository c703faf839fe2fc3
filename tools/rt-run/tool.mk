rt-run_STATIC := yes
rt-run_LIBS := -lboost_program_options -lboost_filesystem
