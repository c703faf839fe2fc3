rt-net_LIBS := -lboost_program_options -lboost_filesystem
