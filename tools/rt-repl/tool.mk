rt-repl_LIBS := -ledit -lboost_program_options -lboost_filesystem
